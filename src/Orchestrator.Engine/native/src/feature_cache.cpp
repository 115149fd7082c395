#include "feature_cache.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ote {

FeatureCache::~FeatureCache() { close_spill_file(); }

void FeatureCache::configure(bool enabled, int64_t memory_bytes, const std::string& spill_dir) {
  if (memory_bytes < 0) throw std::invalid_argument("feature cache: the memory budget must not be negative");
  clear();
  enabled_ = enabled;
  memory_budget_ = memory_bytes;
  spill_dir_ = spill_dir;
  disk_failed_ = false;
}

void FeatureCache::use(const void* dataset, int64_t split) {
  if (dataset == dataset_ && split == split_) return;
  clear();
  dataset_ = dataset;
  split_ = split;
}

void FeatureCache::clear() {
  slots_.clear();
  row_shape_.clear();
  memory_used_ = 0;
  close_spill_file();
  dataset_ = nullptr;
  split_ = -1;
}

void FeatureCache::close_spill_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  disk_used_ = 0;
  disk_budget_ = 0;
}

bool FeatureCache::open_spill_file(int64_t row_bytes) {
  if (fd_ >= 0) return true;
  if (disk_failed_ || spill_dir_.empty()) return false;
  struct statvfs fs {};
  if (::statvfs(spill_dir_.c_str(), &fs) != 0) {
    disk_failed_ = true;
    return false;
  }
  // Half of what is free, so that checkpoints and journals keep room.
  disk_budget_ = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize) / 2;
  if (disk_budget_ < row_bytes) {
    disk_failed_ = true;
    return false;
  }
  std::string path = spill_dir_ + "/ote-feature-cache-XXXXXX";
  fd_ = ::mkstemp(path.data());
  if (fd_ < 0) {
    disk_failed_ = true;
    return false;
  }
  ::unlink(path.c_str());
  disk_used_ = 0;
  return true;
}

bool FeatureCache::fetch(int32_t image, torch::Tensor& row) {
  if (!enabled_) return false;
  const auto it = slots_.find(image);
  if (it == slots_.end()) return false;
  if (it->second.memory.defined()) {
    row.copy_(it->second.memory.view(row.sizes()));
    return true;
  }
  const size_t bytes = static_cast<size_t>(row.numel()) * sizeof(float);
  auto buffer = row.is_contiguous() ? row : torch::empty(row.sizes(), torch::kFloat32);
  size_t done = 0;
  while (done < bytes) {
    const ssize_t r = ::pread(fd_, static_cast<char*>(buffer.data_ptr()) + done, bytes - done,
                              it->second.disk_offset + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      slots_.erase(it);  // unreadable: compute it again
      return false;
    }
    done += static_cast<size_t>(r);
  }
  if (!buffer.is_same(row)) row.copy_(buffer);
  return true;
}

void FeatureCache::put(int32_t image, const torch::Tensor& row) {
  if (!enabled_ || slots_.count(image) != 0) return;
  const auto shape = row.sizes().vec();
  if (row_shape_.empty()) row_shape_ = shape;
  if (shape != row_shape_) throw std::logic_error("feature cache: rows of one split point differ in shape");
  const auto host = row.to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t bytes = host.numel() * static_cast<int64_t>(sizeof(float));
  if (memory_used_ + bytes <= memory_budget_) {
    slots_[image].memory = host.clone();
    memory_used_ += bytes;
    return;
  }
  if (!open_spill_file(bytes) || disk_used_ + bytes > disk_budget_) return;
  size_t done = 0;
  const auto* data = static_cast<const char*>(host.data_ptr());
  while (done < static_cast<size_t>(bytes)) {
    const ssize_t w = ::pwrite(fd_, data + done, static_cast<size_t>(bytes) - done, disk_used_ + static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      disk_failed_ = true;  // disk full or gone: keep what is there, add no more
      return;
    }
    done += static_cast<size_t>(w);
  }
  slots_[image].disk_offset = disk_used_;
  disk_used_ += bytes;
}

}  // namespace ote
