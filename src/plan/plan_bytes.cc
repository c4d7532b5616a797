#include "plan/plan_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/tensor.h"

namespace kiln {

Expected<PlanBytes> map_plan_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open '{}': {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error("'{}' is not a regular file", path);
  }
  PlanBytes bytes;
  bytes.size = static_cast<size_t>(st.st_size);
  if (bytes.size == 0) {  // mmap refuses empty files; the header check reports them
    ::close(fd);
    return bytes;
  }
  void* addr = ::mmap(nullptr, bytes.size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int mmap_errno = errno;
  ::close(fd);  // the mapping stays valid without the descriptor
  if (addr == MAP_FAILED) return io_error("cannot map '{}': {}", path, std::strerror(mmap_errno));
  const size_t size = bytes.size;
  bytes.owner = std::shared_ptr<void>(addr, [size](void* p) { ::munmap(p, size); });
  bytes.data = static_cast<const uint8_t*>(addr);
  return bytes;
}

PlanBytes copy_plan_bytes(const void* data, size_t size) {
  // A Tensor's storage is 64-byte aligned, which is what the weight section needs.
  Tensor storage(DataType::kUInt8, {static_cast<int64_t>(size)});
  if (size > 0) std::memcpy(storage.raw(), data, size);
  PlanBytes bytes;
  bytes.data = static_cast<const uint8_t*>(storage.raw());
  bytes.size = size;
  bytes.owner = std::make_shared<Tensor>(std::move(storage));
  return bytes;
}

}  // namespace kiln
