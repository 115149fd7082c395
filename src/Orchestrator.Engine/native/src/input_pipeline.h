#pragma once
// The training input pipeline after the packed store: minority-class augmentation on the uint8 images, resize to the
// backbone's input size, normalization, gray to 3 channels. Definitions in docs/engine.md ("Input pipeline").
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace ote {

enum class Normalization : int32_t {
  Backbone = 0,  // what the backbone's weights expect: the per-channel mean/std the trainer holds
  Scaling = 1,   // x / 255 in [0, 1]
  ZScore = 2,    // (x / 255 - mean) / std, mean and std of the training split
  Adaptive = 3,  // per image: clip to its 2nd..98th percentile over the central ROI, then standardize by the ROI
};

// Random draws of one augmented image, a pure function of (seed, epoch, position in the epoch, image index).
struct AugmentDraw {
  double angle_deg, brightness, contrast;
};

// What keys the augmentation of a training batch: its images, their labels, and its offset in the epoch's order
// (or, when `positions` is given, each image's own offset in it).
struct BatchKeys {
  const int32_t* indices;
  const int32_t* labels;
  int64_t first_position;
  const int64_t* positions = nullptr;

  int64_t position(int64_t i) const { return positions != nullptr ? positions[i] : first_position + i; }
};

class InputPipeline {
 public:
  // augment_class[c] != 0: images of class c are augmented in training (the minority classes).
  void configure(Normalization normalization, float zscore_mean, float zscore_std, std::vector<uint8_t> augment_class,
                 uint64_t seed);
  void set_epoch(int32_t epoch) { epoch_ = epoch; }
  bool augments() const;
  // Whether a training image of this class is augmented.
  bool augments_class(int32_t label) const {
    return label >= 0 && static_cast<size_t>(label) < augment_class_.size() && augment_class_[label] != 0;
  }

  AugmentDraw draw(int64_t position, int32_t image) const;
  // Rotation (about the centre, bilinear, black outside), then y = b * (m + c * (x - m)) with m the image's mean,
  // clipped to [0, 1]. In place on one h x w float image with values in [0, 1].
  static void augment_image(float* pixels, int h, int w, const AugmentDraw& d);

  // uint8 [n, 1, H, W] -> float [n, 3, size, size]: scaled to [0, 1], resized, augmented (when `augment` is given,
  // images of marked classes only; after the resize, so the warp costs the input size, not the stored size),
  // normalized, gray replicated to 3 channels. mean/std [1, 3, 1, 1] are used by Backbone only.
  torch::Tensor to_input(const torch::Tensor& images_u8, int size, const torch::Tensor& mean, const torch::Tensor& std,
                         const BatchKeys* augment) const;

 private:
  Normalization normalization_ = Normalization::Backbone;
  float zscore_mean_ = 0, zscore_std_ = 1;
  std::vector<uint8_t> augment_class_;
  uint64_t seed_ = 0;
  int32_t epoch_ = 0;
};

class Dataset;

// Mean and standard deviation of the pixels (scaled to [0, 1]) of the dataset's images `indices`.
void pixel_stats(const Dataset& data, const int32_t* indices, int64_t n, double& mean, double& std);

}  // namespace ote
