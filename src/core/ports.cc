#include "core/ports.h"

#include <unistd.h>

namespace ferry::core {

Status PayloadStore::DeliverMany(const Guid& job, std::span<const Delivery> items, size_t* delivered) {
  *delivered = 0;
  Status failed;
  size_t i = 0;
  for (; i < items.size(); ++i) {
    const Delivery& d = items[i];
    failed = d.fd >= 0 ? DeliverToFd(job, d.file, d.fd, d.size) : Deliver(job, d.file, d.local_name, d.size);
    if (!failed.ok()) break;
  }
  *delivered = i;
  for (size_t k = i + 1; k < items.size(); ++k)
    if (items[k].fd >= 0) ::close(items[k].fd);
  return failed;
}

}  // namespace ferry::core
