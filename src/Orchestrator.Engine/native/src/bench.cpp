#include "bench.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <stdexcept>
#include <vector>

#include "engine.h"

namespace ote {

namespace {

constexpr int kClasses = 7;  // the paper's class count

// Random images in a temporary file, memory-mapped by a Dataset as a packed training set is; the file is unlinked
// once mapped.
// Without labels, image i is of class i mod 7.
std::unique_ptr<Dataset> random_dataset(int64_t count, int size, std::vector<int32_t> labels = {}) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/ote-bench-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("bench: cannot create a temporary file in " + path + ": " + std::strerror(errno));
  ::close(fd);
  std::vector<char> pixels(static_cast<size_t>(count) * static_cast<size_t>(size) * static_cast<size_t>(size));
  std::mt19937 rng(1);
  for (auto& p : pixels) p = static_cast<char>(rng() & 0xff);
  std::ofstream out(path, std::ios::binary);
  if (!out.write(pixels.data(), static_cast<std::streamsize>(pixels.size())) || !out.flush()) {
    ::unlink(path.c_str());
    throw std::runtime_error("bench: cannot write " + path);
  }
  out.close();
  if (labels.empty()) {
    labels.resize(static_cast<size_t>(count));
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % kClasses);
  }
  std::unique_ptr<Dataset> data;
  try {
    data = std::make_unique<Dataset>(path, count, size, size, labels.data());
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
  ::unlink(path.c_str());
  return data;
}

int64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return 0;
}

}  // namespace

EpochBenchResult bench_epochs(const std::string& arch, int size, int batch, int train, int val, int unfrozen, bool cache,
                              int epochs) {
  if (train < batch || val < 1) throw std::invalid_argument("bench: at least one batch of training images and one validation image");
  if (epochs < 2) throw std::invalid_argument("bench: at least 2 epochs (the first fills the cache)");
  // Random weights on random images can drive activations into denormal floats, which the CPU computes many times
  // slower; how far depends on the draw, so both sides of a comparison flush them (epoch_vs_pytorch.py does too).
  at::globalContext().setFlushDenormal(true);
  Trainer trainer(arch, kClasses, size, 0 /* adam */, 1e-3, 1);
  const int64_t images = int64_t{train} + val;
  // Labels as the paper's imbalance has them: 70% in classes 0 and 1, which are not augmented.
  std::vector<int32_t> labels(static_cast<size_t>(images));
  for (int64_t i = 0; i < images; ++i) {
    const int64_t r = i % 10;
    labels[static_cast<size_t>(i)] = r < 4 ? 0 : r < 7 ? 1 : static_cast<int32_t>(2 + i % 5);
  }
  const auto data = random_dataset(images, size, labels);
  std::vector<uint8_t> augmented(kClasses, 1);
  augmented[0] = augmented[1] = 0;
  trainer.input().configure(Normalization::Backbone, 0, 1, augmented, 7);
  trainer.set_trainable(unfrozen);
  trainer.configure_feature_cache(cache, int64_t{8} << 30, "");
  std::vector<int32_t> order(static_cast<size_t>(train)), val_idx(static_cast<size_t>(val));
  std::iota(order.begin(), order.end(), 0);
  std::iota(val_idx.begin(), val_idx.end(), train);
  std::mt19937 rng(3);
  const ProgressSink sink;
  EpochBenchResult r;
  double later = 0;
  for (int e = 1; e <= epochs; ++e) {
    std::shuffle(order.begin(), order.end(), rng);
    trainer.input().set_epoch(e);
    trainer.take_cache_counters();
    const auto start = std::chrono::steady_clock::now();
    trainer.train_epoch(*data, order.data(), train, nullptr, 0, batch, sink);
    EvalOutput out;
    trainer.evaluate(*data, val_idx.data(), val, nullptr, 0, batch, sink, out);
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    if (e == 1) r.first_epoch_s = seconds.count();
    else later += seconds.count();
    const auto c = trainer.take_cache_counters();
    r.hits = c.hits;
    r.misses = c.misses;
  }
  r.later_epoch_s = later / (epochs - 1);
  for (const auto& e : trainer.entries())
    if (!e.is_buffer && e.tensor.requires_grad() && e.group < trainer.group_count()) r.trainable += e.name + "\n";
  return r;
}

BenchResult bench_engine(const std::string& arch, int size, int batch, int steps, int warmup) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1, got " + std::to_string(batch));
  if (steps < 1) throw std::invalid_argument("steps must be at least 1, got " + std::to_string(steps));
  if (warmup < 0) throw std::invalid_argument("warm-up steps must not be negative");
  Trainer trainer(arch, kClasses, size, 0 /* adam */, 1e-3, 1);
  const int64_t images = int64_t{batch} * steps;
  const auto data = random_dataset(images, size);
  std::vector<int32_t> order(static_cast<size_t>(images));
  std::iota(order.begin(), order.end(), 0);
  const ProgressSink sink;

  // Images per second of `pass` over all images, after `warmup` batches of it untimed.
  auto timed = [&](auto&& pass) {
    if (warmup > 0) pass(std::min<int64_t>(int64_t{warmup} * batch, images));
    const auto start = std::chrono::steady_clock::now();
    pass(images);
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    return static_cast<double>(images) / seconds.count();
  };
  auto train = [&](int64_t n) { trainer.train_epoch(*data, order.data(), n, nullptr, 0, batch, sink); };

  BenchResult r;
  trainer.set_trainable(trainer.group_count());
  r.train_all = timed(train);
  trainer.set_trainable(0);
  trainer.reset_optimizer();
  r.train_head = timed(train);
  r.inference = timed([&](int64_t n) {
    EvalOutput out;
    trainer.evaluate(*data, order.data(), n, nullptr, 0, batch, sink, out);
  });
  r.peak_rss_kib = peak_rss_kib();
  return r;
}

}  // namespace ote
