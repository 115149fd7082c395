#pragma once
// The outputs of a trainer's frozen backbone prefix, one row per image, kept across epochs: in memory up to a budget,
// then in a file on local disk (unlinked as soon as it is created, so nothing outlives the process).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <unordered_map>

namespace ote {

struct CacheCounters {
  int64_t hits = 0;    // images whose prefix output came from the cache
  int64_t misses = 0;  // images that ran through the prefix (not yet cached, augmented, or over the budget)
};

class FeatureCache {
 public:
  FeatureCache() = default;
  ~FeatureCache();
  FeatureCache(const FeatureCache&) = delete;
  FeatureCache& operator=(const FeatureCache&) = delete;

  // memory_bytes 0 with disk off, or enabled false: nothing is kept. spill_dir empty: no disk.
  void configure(bool enabled, int64_t memory_bytes, const std::string& spill_dir);
  bool enabled() const { return enabled_; }
  int64_t memory_budget() const { return memory_budget_; }

  // The rows below belong to (dataset, split point); another key empties the cache first.
  void use(const void* dataset, int64_t split);
  // Forgets every row (the prefix's weights changed).
  void clear();

  bool contains(int32_t image) const { return enabled_ && slots_.count(image) != 0; }
  // Copies image's row into `row` (CPU, the row's shape) and returns true when it is cached.
  bool fetch(int32_t image, torch::Tensor& row);
  // Keeps a copy of `row` (CPU) for the image when the budget allows.
  void put(int32_t image, const torch::Tensor& row);

  // The shape of every row under the current key; empty while there is none.
  const std::vector<int64_t>& row_shape() const { return row_shape_; }
  int64_t memory_bytes() const { return memory_used_; }
  int64_t disk_bytes() const { return disk_used_; }

 private:
  struct Slot {
    torch::Tensor memory;     // defined: the row is in memory
    int64_t disk_offset = -1;  // >= 0: the row is in the spill file there
  };
  bool open_spill_file(int64_t row_bytes);
  void close_spill_file();

  bool enabled_ = false;
  int64_t memory_budget_ = 0;
  std::string spill_dir_;
  const void* dataset_ = nullptr;
  int64_t split_ = -1;
  std::unordered_map<int32_t, Slot> slots_;
  std::vector<int64_t> row_shape_;
  int64_t memory_used_ = 0;
  int fd_ = -1;
  bool disk_failed_ = false;
  int64_t disk_budget_ = 0, disk_used_ = 0;
};

}  // namespace ote
