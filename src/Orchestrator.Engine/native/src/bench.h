#pragma once
#include <cstdint>
#include <string>

namespace ote {

struct BenchResult {
  double train_all = 0;   // training images/s, every group trainable
  double train_head = 0;  // training images/s, backbone frozen
  double inference = 0;   // evaluation images/s
  int64_t peak_rss_kib = 0;  // VmHWM of the process after the three passes
};

// Times the trainer's own passes (batch preparation, forward, weighted cross entropy, backward, Adam step) on
// random uint8 images of size x size, `steps` batches each after `warmup` untimed ones, on the calling thread's
// libtorch thread setting.
BenchResult bench_engine(const std::string& arch, int size, int batch, int steps, int warmup);

}  // namespace ote
