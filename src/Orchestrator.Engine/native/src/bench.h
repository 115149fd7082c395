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

struct EpochBenchResult {
  double first_epoch_s = 0;  // the epoch that fills the feature cache
  double later_epoch_s = 0;  // mean of the epochs after it
  int64_t hits = 0, misses = 0;  // the feature cache's, in the last epoch
  std::string trainable;     // names of the trainable backbone tensors, one per line (the head excluded)
};

// Whole epochs as a trial runs them: training over `train` random images (70% of them in the two classes that are
// never augmented, the rest in five augmented ones) in a fresh shuffled order, then evaluation of `val` images, with
// `unfrozen` groups trainable and the feature cache on or off.
EpochBenchResult bench_epochs(const std::string& arch, int size, int batch, int train, int val, int unfrozen, bool cache,
                              int epochs);

// Times the trainer's own passes (batch preparation, forward, weighted cross entropy, backward, Adam step) on
// random uint8 images of size x size, `steps` batches each after `warmup` untimed ones, on the calling thread's
// libtorch thread setting.
BenchResult bench_engine(const std::string& arch, int size, int batch, int steps, int warmup);

}  // namespace ote
