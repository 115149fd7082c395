#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "feature_cache.h"
#include "input_pipeline.h"
#include "models.h"
#include "state_dict.h"

namespace ote {

// Thrown when the cancel flag is seen between batches; the C ABI maps it to OTE_CANCELLED.
struct Cancelled : std::exception {
  const char* what() const noexcept override { return "cancelled"; }
};

// A read-only memory map of images.u8 (count x height x width uint8) and the label of each image.
class Dataset {
 public:
  Dataset(const std::string& path, int64_t count, int height, int width, const int32_t* labels);
  ~Dataset();
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;

  int64_t count() const { return count_; }
  int height() const { return height_; }
  int width() const { return width_; }
  int32_t label(int64_t i) const { return labels_[static_cast<size_t>(i)]; }
  // uint8 [n, 1, H, W] copy of the given rows, and int64 [n] labels.
  torch::Tensor gather_images(const int32_t* idx, int64_t n) const;
  torch::Tensor gather_labels(const int32_t* idx, int64_t n) const;

 private:
  std::string path_;
  int64_t count_;
  int height_, width_;
  std::vector<int32_t> labels_;
  const uint8_t* data_ = nullptr;
  size_t bytes_ = 0;
};

struct ProgressSink {
  void (*fn)(int32_t, int32_t, double, void*) = nullptr;
  void* user = nullptr;
  const volatile int32_t* cancel = nullptr;

  bool cancelled() const { return cancel != nullptr && __atomic_load_n(cancel, __ATOMIC_ACQUIRE) != 0; }
  void report(int64_t done, int64_t total, double loss) const {
    if (fn != nullptr) fn(static_cast<int32_t>(done), static_cast<int32_t>(total), loss, user);
  }
};

struct EvalOutput {
  double loss = 0;
  int32_t* predictions = nullptr;  // n, optional
  float* probabilities = nullptr;  // n * C, optional
};

class Trainer {
 public:
  // device: "cpu" or "cuda:N" (see device.h); the model, its optimizer state and every batch live there.
  Trainer(const std::string& arch, int num_classes, int input_size, int optimizer_kind, double lr, uint64_t seed,
          torch::Device device = torch::kCPU);

  const std::string& arch() const { return arch_; }
  int num_classes() const { return num_classes_; }
  int input_size() const { return input_size_; }
  int optimizer_kind() const { return optimizer_kind_; }
  int group_count() const { return net_->group_count(); }
  int unfrozen() const { return static_cast<int>(trainable_.size()); }
  // The backbone groups that train, ascending (0 = shallowest); the head always trains.
  const std::vector<int>& trainable_groups() const { return trainable_; }
  torch::Device device() const { return device_; }
  Net& net() { return *net_; }

  // The deepest `unfrozen_groups` groups and the head trainable.
  void set_trainable(int unfrozen_groups);
  // Exactly these groups (any set, e.g. one shallow group alone) and the head trainable; the frozen prefix the
  // feature cache keeps ends below the shallowest of them. The optimizer state is kept.
  void set_trainable_groups(std::vector<int> groups);
  // Head at lr, group i at lr / discriminative^(d - i), d the deepest trainable group.
  void set_lr(double lr);
  // Per-group rate divisor (>= 1). 1 keeps one optimizer parameter group; any other value gives the head and every
  // group a parameter group of its own, so changing between the two layouts resets the optimizer.
  void set_discriminative(double discriminative);
  double discriminative() const { return discriminative_; }
  // Whether BatchNorm layers of trainable groups update their running statistics while training; those of frozen
  // groups never do (so the frozen prefix's cached outputs stay valid).
  void set_batchnorm_updates(bool update) { bn_updates_ = update; }
  bool batchnorm_updates() const { return bn_updates_; }
  double lr() const { return lr_; }
  void reset_optimizer();
  // Loads optimizer state into a fresh optimizer and swaps it in only if that succeeded.
  void load_optimizer(torch::serialize::InputArchive& archive);
  torch::optim::Optimizer& optimizer() { return *optimizer_; }

  double train_epoch(const Dataset& data, const int32_t* order, int64_t n, const float* weights, int num_weights,
                     int batch_size, const ProgressSink& sink);
  void evaluate(const Dataset& data, const int32_t* idx, int64_t n, const float* weights, int num_weights,
                int batch_size, const ProgressSink& sink, EvalOutput& out);

  // Estimates every BatchNorm layer's running statistics from these images (a cumulative average), for a
  // model that starts without pretrained weights; training then keeps them fixed as for pretrained ones.
  void calibrate_batchnorm(const Dataset& data, const int32_t* idx, int64_t n, int batch_size, const ProgressSink& sink);

  void remember_best();
  void restore_best();
  bool has_best() const { return !best_.empty(); }

  // Parameters then buffers, in named_parameters()/named_buffers() order; group L is the head.
  struct Entry {
    std::string name;
    torch::Tensor tensor;
    int group;
    bool is_buffer;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<torch::Tensor>& best() { return best_; }

  // The input pipeline (input_pipeline.h): normalization and minority-class augmentation.
  InputPipeline& input() { return input_; }
  // uint8 images of `idx` -> the network's float input, augmented (training) or not; `first_position` is the
  // batch's offset in the epoch's order, which keys the augmentation draws.
  // `positions` (optional): each image's offset in the epoch's order, when the images are not consecutive in it.
  torch::Tensor prepare_batch(const Dataset& data, const int32_t* idx, int64_t n, bool augment, int64_t first_position,
                              const int64_t* positions = nullptr) const;

  // The frozen-prefix feature cache (feature_cache.h); off until configured.
  void configure_feature_cache(bool enabled, int64_t memory_bytes, const std::string& spill_dir);
  // Hits and misses since the last call, which resets them.
  CacheCounters take_cache_counters();
  // Stage index where the trainable part begins: 0 nothing frozen, stages().size() + 1 the whole backbone frozen
  // (the prefix then ends with the global pooling).
  size_t split() const { return split_; }
  // The weights of the frozen prefix (or the input pipeline) changed: cached prefix outputs are stale.
  void invalidate_features() { cache_.clear(); }

  // Eval mode, no gradients: the globally pooled backbone output, or the logits of the whole net.
  torch::Tensor features(const torch::Tensor& input) { return eval_forward(input, false); }
  torch::Tensor logits(const torch::Tensor& input) { return eval_forward(input, true); }
  // A raw tensor file (OTERAW01), an imported weights file or a PyTorch state dict; returns the tensors loaded.
  int load_backbone(const std::string& path);
  double param_checksum(int group) const;
  double bn_stats_checksum(int group) const;
  int64_t trainable_count() const;

 private:
  std::unique_ptr<torch::optim::Optimizer> make_optimizer() const;
  torch::Tensor eval_forward(const torch::Tensor& input, bool logits);
  void set_mode(bool training);
  torch::Tensor class_weights(const float* weights, int num_weights) const;
  template <typename Step>
  void for_each_batch(const Dataset& data, const int32_t* idx, int64_t n, int batch_size, const ProgressSink& sink,
                      Step&& step);
  void check_indices(const Dataset& data, const int32_t* idx, int64_t n) const;
  // The stage where the trainable part begins when the shallowest trainable group is `first_trainable` (L: none).
  size_t split_for(int first_trainable);
  double group_lr(int group) const;
  torch::Tensor prefix(const torch::Tensor& x);
  torch::Tensor suffix(const torch::Tensor& h);
  // Prefix outputs, by position in the pass, of the images from position begin to ahead.end (a window of whole
  // batches that compute_ahead chooses) that the cache cannot give (augmented, or not cached yet), computed ahead in
  // full batches: a few images per batch through the prefix would each pay the fixed cost of every layer.
  struct Ahead {
    int64_t end = 0;
    std::unordered_map<int64_t, torch::Tensor> rows;
  };
  static constexpr int64_t kAheadBatches = 8;
  // Whether the image's prefix output may be cached: it is not augmented in this pass.
  bool cacheable(const Dataset& data, int32_t image, bool augment) const;
  // The prefix outputs of these images (at these positions of the pass) on the CPU, counted as misses.
  torch::Tensor prefix_rows(const Dataset& data, const std::vector<int32_t>& images, const int64_t* positions, bool augment);
  void compute_ahead(const Dataset& data, const int32_t* order, int64_t begin, int64_t n, bool augment, int batch_size,
                     Ahead& ahead);
  // The logits of the batch at positions [start, start + len) of a pass over order[0, n): the frozen prefix's
  // outputs computed ahead or from the cache (never an augmented image's), computed here without an autograd graph
  // otherwise, then the trainable part.
  torch::Tensor logits_of(const Dataset& data, const int32_t* order, int64_t n, int64_t start, int64_t len, bool augment,
                          int batch_size, Ahead& ahead);
  int load_raw_backbone(std::ifstream& in, const std::string& path);

  std::string arch_;
  torch::Device device_;
  int num_classes_, input_size_, optimizer_kind_;
  double lr_;
  std::vector<int> trainable_;
  double discriminative_ = 1;
  bool bn_updates_ = false;
  // Each BatchNorm layer with the group of its weight.
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, int>> batchnorms_;
  std::shared_ptr<Net> net_;
  std::vector<Entry> entries_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<torch::Tensor> best_;
  torch::Tensor mean_, std_;
  InputPipeline input_;
  size_t split_ = 0;
  FeatureCache cache_;
  CacheCounters counters_;
};

// Checkpoints (checkpoint.cpp). Files are written to path.tmp and renamed over path, not fsynced: the trial runner
// flushes them (file and directory) before its journal names them.
void save_checkpoint(Trainer& t, const std::string& path, int epoch);
int load_checkpoint(Trainer& t, const std::string& path);
void save_best(Trainer& t, const std::string& path);
void load_best(Trainer& t, const std::string& path);
// The bytes save_checkpoint / save_best write, taken from the trainer now: the caller writes them to a file later,
// on another thread, while training goes on.
std::string checkpoint_bytes(Trainer& t, int epoch);
std::string best_bytes(Trainer& t);

}  // namespace ote
