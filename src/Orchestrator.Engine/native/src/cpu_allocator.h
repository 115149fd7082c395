#pragma once
// The CPU allocator every tensor of this process gets from libtorch once the engine library is loaded: freed blocks
// are kept, by size, and handed out again. A training step allocates the same activation and gradient sizes batch
// after batch; through glibc's malloc those large blocks are mapped and unmapped (or the heap grown and trimmed) each
// time, and the kernel faults in and zeroes their pages again. On a virtual machine that costs more than the
// arithmetic: measured here, a MobileNetV2 forward pass took five times as long with 9,000 page faults per batch.
#include <cstdint>

namespace ote {

struct CpuAllocatorStats {
  int64_t reused = 0;      // allocations served from a kept block
  int64_t fresh = 0;       // allocations that went to the system
  int64_t idle_bytes = 0;  // kept blocks not in use now
  int64_t idle_limit = 0;  // at most this many bytes are kept
};

CpuAllocatorStats cpu_allocator_stats();
// Beyond the limit a freed block goes back to the system; lowering it releases kept blocks at once.
void set_cpu_allocator_idle_limit(int64_t bytes);

}  // namespace ote
