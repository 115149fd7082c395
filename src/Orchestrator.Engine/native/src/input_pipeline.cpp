#include "input_pipeline.h"

#include "engine.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ote {
namespace {

namespace F = torch::nn::functional;

uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double uniform(uint64_t& state, double lo, double hi) {
  state = mix(state);
  return lo + (hi - lo) * static_cast<double>(state >> 11) * (1.0 / 9007199254740992.0);
}

// Adaptive normalization of a float [n, 1, S, S] batch in [0, 1]; see Normalization::Adaptive.
torch::Tensor adaptive(const torch::Tensor& x) {
  const int64_t n = x.size(0), s = x.size(2);
  const int64_t lo = s / 10, hi = s - s / 10;  // central ROI: 80% of each side, away from labels and collimation
  const auto roi = x.index({torch::indexing::Slice(), 0, torch::indexing::Slice(lo, hi), torch::indexing::Slice(lo, hi)})
                       .reshape({n, -1});
  const auto q = torch::quantile(roi, torch::tensor({0.02f, 0.98f}), 1, false, "linear");  // [2, n]
  const auto p_lo = q[0].view({n, 1, 1, 1}), p_hi = q[1].view({n, 1, 1, 1});
  const auto span = (p_hi - p_lo).clamp_min(1.0f / 255.0f);
  const auto windowed = ((x - p_lo) / span).clamp(0.0f, 1.0f);
  const auto wroi = ((roi - p_lo.view({n, 1})) / span.view({n, 1})).clamp(0.0f, 1.0f);
  const auto mu = wroi.mean(1).view({n, 1, 1, 1});
  const auto sigma = wroi.std(1, false).view({n, 1, 1, 1}).clamp_min(1e-3f);
  return (windowed - mu) / sigma;
}

}  // namespace

void InputPipeline::configure(Normalization normalization, float zscore_mean, float zscore_std,
                              std::vector<uint8_t> augment_class, uint64_t seed) {
  if (normalization < Normalization::Backbone || normalization > Normalization::Adaptive)
    throw std::invalid_argument("normalization must be 0..3, got " + std::to_string(static_cast<int>(normalization)));
  if (normalization == Normalization::ZScore && !(zscore_std > 0 && std::isfinite(zscore_mean)))
    throw std::invalid_argument("zscore normalization needs a finite mean and a positive std");
  normalization_ = normalization;
  zscore_mean_ = zscore_mean;
  zscore_std_ = zscore_std;
  augment_class_ = std::move(augment_class);
  seed_ = seed;
}

bool InputPipeline::augments() const {
  for (auto a : augment_class_)
    if (a != 0) return true;
  return false;
}

AugmentDraw InputPipeline::draw(int64_t position, int32_t image) const {
  uint64_t state = mix(mix(mix(seed_ ^ 0x6175676D656E74ULL) + static_cast<uint64_t>(epoch_)) + static_cast<uint64_t>(position));
  state = mix(state + static_cast<uint64_t>(static_cast<uint32_t>(image)));
  AugmentDraw d{};
  d.angle_deg = uniform(state, -10.0, 10.0);
  d.brightness = uniform(state, 0.8, 1.2);
  d.contrast = uniform(state, 0.9, 1.1);
  return d;
}

void InputPipeline::augment_image(float* pixels, int h, int w, const AugmentDraw& d) {
  cv::Mat image(h, w, CV_32F, pixels);
  cv::Mat rotated;
  const cv::Mat m = cv::getRotationMatrix2D(cv::Point2f((w - 1) * 0.5f, (h - 1) * 0.5f), d.angle_deg, 1.0);
  cv::warpAffine(image, rotated, m, image.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  const double mean = cv::mean(rotated)[0];
  // y = b * (m + c * (x - m)) = alpha * x + beta, then clipped to [0, 1].
  rotated.convertTo(image, CV_32F, d.brightness * d.contrast, d.brightness * mean * (1.0 - d.contrast));
  cv::min(cv::max(image, 0.0), 1.0, image);
}

torch::Tensor InputPipeline::to_input(const torch::Tensor& images_u8, int size, const torch::Tensor& mean,
                                      const torch::Tensor& std, const BatchKeys* augment) const {
  // Bilinear resizing is linear, so the division by 255 comes after it: one pass over the input size instead of
  // one over the (often much larger) stored size.
  auto x = images_u8.to(torch::kFloat32);
  if (x.size(2) != size || x.size(3) != size)
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{size, size})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  x.div_(255.0f);
  if (augment != nullptr && augments()) {
    x = x.contiguous();
    auto* base = x.data_ptr<float>();
    const int64_t plane = static_cast<int64_t>(size) * size;
    at::parallel_for(0, x.size(0), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        if (!augments_class(augment->labels[i])) continue;
        augment_image(base + i * plane, size, size, draw(augment->position(i), augment->indices[i]));
      }
    });
  }
  switch (normalization_) {
    case Normalization::Backbone:
      return (x - mean) / std;  // broadcasting [n, 1] against [1, 3] replicates gray to 3 channels
    case Normalization::Scaling:
      break;
    case Normalization::ZScore:
      x = (x - zscore_mean_) / zscore_std_;
      break;
    case Normalization::Adaptive:
      x = adaptive(x);
      break;
  }
  return x.expand({-1, 3, -1, -1});
}

void pixel_stats(const Dataset& data, const int32_t* indices, int64_t n, double& mean, double& std) {
  if (n <= 0) throw std::invalid_argument("pixel statistics need at least one image");
  // A histogram per chunk of images keeps memory flat; sums over 256 levels are exact enough in double.
  std::vector<int64_t> hist(256, 0);
  constexpr int64_t chunk = 256;
  for (int64_t start = 0; start < n; start += chunk) {
    const auto images = data.gather_images(indices + start, std::min(chunk, n - start));
    const auto* p = images.data_ptr<uint8_t>();
    for (int64_t k = 0, total = images.numel(); k < total; ++k) ++hist[p[k]];
  }
  double count = 0, sum = 0, sum_sq = 0;
  for (int v = 0; v < 256; ++v) {
    const double x = v / 255.0, c = static_cast<double>(hist[v]);
    count += c;
    sum += x * c;
    sum_sq += x * x * c;
  }
  mean = sum / count;
  std = std::sqrt(std::max(0.0, sum_sq / count - mean * mean));
}

}  // namespace ote
