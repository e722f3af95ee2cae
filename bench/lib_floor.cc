// lib_floor: the resident memory of a process that only loads shared libraries.
//
//   lib_floor [LIBRARY_PATH...]
//
// dlopen()s each path in order with RTLD_NOW | RTLD_GLOBAL (so every
// relocation is resolved, as the dynamic loader does for a program's own
// dependencies), then prints one JSON line with VmRSS, RssAnon, RssFile and
// RssShmem from /proc/self/status, in KiB. With no argument it shows the floor
// of a process that maps only libc. bench/run.py passes the libraries `ldd`
// lists for ferryd (scenario 5, bench/README.md). Exits 1 when a library
// cannot be loaded (the error goes to stderr; the JSON line is still printed).
//
// Deliberately plain: C library calls only, no project libraries, linked with
// --as-needed, so that its own image adds nothing but libc.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

namespace {
long StatusKib(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long value = -1;
  const size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, key, n) == 0 && line[n] == ':') {
      std::sscanf(line + n + 1, "%ld", &value);
      break;
    }
  }
  std::fclose(f);
  return value;
}
}  // namespace

int main(int argc, char** argv) {
  int loaded = 0;
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    if (dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL) != nullptr) {
      ++loaded;
    } else {
      ++failed;
      const char* err = dlerror();
      std::fprintf(stderr, "lib_floor: %s\n", err != nullptr ? err : argv[i]);
    }
  }
  std::printf(
      "{\"libraries\": %d, \"loaded\": %d, \"failed\": %d, \"vm_rss_kib\": %ld, \"rss_anon_kib\": %ld, "
      "\"rss_file_kib\": %ld, \"rss_shmem_kib\": %ld}\n",
      argc - 1, loaded, failed, StatusKib("VmRSS"), StatusKib("RssAnon"), StatusKib("RssFile"),
      StatusKib("RssShmem"));
  return failed == 0 ? 0 : 1;
}
