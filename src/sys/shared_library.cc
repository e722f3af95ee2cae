#include "sys/shared_library.h"

#include <dlfcn.h>

#include <string>
#include <utility>
#include <vector>


namespace ferry::sys {

Status LoadLibrary(const char* soname, std::span<const Symbol> symbols) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Status(code::kUnexpected, std::string("cannot load ") + soname + ": " + (why ? why : "unknown error"));
  }
  std::vector<void*> found;
  found.reserve(symbols.size());
  for (const Symbol& s : symbols) {
    ::dlerror();
    void* p = ::dlsym(handle, s.name);
    if (p == nullptr) {
      const char* why = ::dlerror();
      // Copied before dlclose, which frees dlerror's text.
      std::string message = std::string(soname) + " has no " + s.name + ": " + (why ? why : "null symbol");
      ::dlclose(handle);
      return Status(code::kUnexpected, std::move(message));
    }
    found.push_back(p);
  }
  for (size_t i = 0; i < symbols.size(); ++i) *symbols[i].slot = found[i];
  return Status::OK();
}

}  // namespace ferry::sys
