#include "cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/alignment.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace ote {

namespace {

class KeepingCpuAllocator final : public c10::Allocator {
 public:
  explicit KeepingCpuAllocator(int64_t idle_limit) : idle_limit_(idle_limit) {}

  // libtorch 1.13 declares allocate const, 2.x does not: one of the two overrides, whichever this libtorch has.
  c10::DataPtr allocate(size_t n) const { return take(n); }
  c10::DataPtr allocate(size_t n) { return take(n); }
  // Pure in 2.x, absent in 1.13.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
  c10::DeleterFnPtr raw_deleter() const override { return &give_back; }

  CpuAllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {reused_, fresh_, idle_bytes_, idle_limit_};
  }

  void set_idle_limit(int64_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle_limit_ = bytes;
    }
    release_idle_above(bytes);
  }

 private:
  // Size classes, eight per power of two (at most 12.5 % unused): the rows a batch sends through part of the network
  // vary in number from batch to batch, and exact sizes would keep a block for each count.
  static size_t rounded(size_t n) {
    size_t step = c10::gAlignment;
    if (n > 4096) {
      size_t top = 1;
      while (top <= n / 2) top <<= 1;  // the highest power of two not above n
      step = top / 8;
    }
    return (n + step - 1) / step * step;
  }

  c10::DataPtr take(size_t n) const { return const_cast<KeepingCpuAllocator*>(this)->take_block(n); }

  c10::DataPtr take_block(size_t n) {
    if (n == 0) return {nullptr, nullptr, &give_back, c10::Device(c10::DeviceType::CPU)};
    const size_t size = rounded(n);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = idle_.find(size);
      if (it != idle_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        idle_bytes_ -= static_cast<int64_t>(size);
        ++reused_;
        return {p, p, &give_back, c10::Device(c10::DeviceType::CPU)};
      }
      ++fresh_;
    }
    void* p = nullptr;
    if (::posix_memalign(&p, c10::gAlignment, size) != 0 || p == nullptr) {
      // What is kept may be what is missing: give it back and try once more.
      release_idle_above(0);
      if (::posix_memalign(&p, c10::gAlignment, size) != 0 || p == nullptr) throw std::bad_alloc();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_.emplace(p, size);
    return {p, p, &give_back, c10::Device(c10::DeviceType::CPU)};
  }

  // Frees kept blocks until at most `keep` bytes are idle.
  void release_idle_above(int64_t keep) {
    std::vector<void*> released;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = idle_.begin(); it != idle_.end() && idle_bytes_ > keep;) {
        auto& blocks = it->second;
        while (!blocks.empty() && idle_bytes_ > keep) {
          released.push_back(blocks.back());
          sizes_.erase(blocks.back());
          blocks.pop_back();
          idle_bytes_ -= static_cast<int64_t>(it->first);
        }
        it = blocks.empty() ? idle_.erase(it) : std::next(it);
      }
    }
    for (void* p : released) std::free(p);
  }

  static void give_back(void* p);

  void keep_or_free(void* p) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = sizes_.find(p);
      if (it != sizes_.end()) {
        const auto size = static_cast<int64_t>(it->second);
        if (idle_bytes_ + size <= idle_limit_) {
          idle_[it->second].push_back(p);
          idle_bytes_ += size;
          return;
        }
        sizes_.erase(it);
      }
    }
    std::free(p);
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> idle_;  // by rounded size
  std::unordered_map<void*, size_t> sizes_;              // every block this allocator handed out, in use or idle
  int64_t idle_limit_;
  int64_t idle_bytes_ = 0;
  int64_t reused_ = 0;
  int64_t fresh_ = 0;
};

// A quarter of the physical memory: blocks are kept only after being in use, so what is kept is bounded by the
// largest step's working set; the limit caps what shapes that are no longer used can hold on to.
int64_t default_idle_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page / 4 : int64_t{1} << 30;
}

// Never destroyed: tensors freed during the process's exit still return their blocks to it.
KeepingCpuAllocator& instance() {
  static auto* allocator = new KeepingCpuAllocator(default_idle_limit());
  return *allocator;
}

void KeepingCpuAllocator::give_back(void* p) {
  if (p != nullptr) instance().keep_or_free(p);
}

// Installed when the engine library is loaded, before it creates any tensor. What does not come from libtorch's
// allocator (oneDNN's scratch space, OpenCV's images) comes from malloc: glibc's is told to keep large blocks in its
// heap and not to give freed memory back at every free, for the same reason.
const bool installed = [] {
  c10::SetCPUAllocator(&instance(), /* priority over libtorch's default */ 1);
  constexpr int kLarge = 1 << 30;
  ::mallopt(M_MMAP_THRESHOLD, kLarge);
  ::mallopt(M_TRIM_THRESHOLD, kLarge);
  return true;
}();

}  // namespace

CpuAllocatorStats cpu_allocator_stats() { return instance().stats(); }

void set_cpu_allocator_idle_limit(int64_t bytes) { instance().set_idle_limit(bytes < 0 ? 0 : bytes); }

}  // namespace ote
