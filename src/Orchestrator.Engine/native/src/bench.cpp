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
#include <stdexcept>
#include <vector>

#include "engine.h"

namespace ote {

namespace {

constexpr int kClasses = 7;  // the paper's class count

// Random images in a temporary file, memory-mapped by a Dataset as a packed training set is; the file is unlinked
// once mapped.
std::unique_ptr<Dataset> random_dataset(int64_t count, int size) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") + "/ote-bench-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("bench: cannot create a temporary file in " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> pixels(static_cast<size_t>(count) * static_cast<size_t>(size) * static_cast<size_t>(size));
  std::mt19937 rng(1);
  for (auto& p : pixels) p = static_cast<uint8_t>(rng() & 0xff);
  size_t done = 0;
  while (done < pixels.size()) {
    const ssize_t w = ::write(fd, pixels.data() + done, pixels.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw std::runtime_error("bench: cannot write " + path + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(w);
  }
  ::close(fd);
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i % kClasses);
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
