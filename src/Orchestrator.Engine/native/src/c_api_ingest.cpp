// C ABI of ingest (image decoding) and of the training input pipeline.
#include "c_api_support.h"
#include "ingest.h"
#include "orchestrator_engine.h"

#include <algorithm>
#include <cstring>
#include <vector>

using ote::capi::deref;
using ote::capi::guard;
using ote::capi::require;

extern "C" {

int32_t ote_image_decode(const uint8_t* data, int64_t length, int32_t size, int32_t intensity, uint8_t* out,
                         ote_image_info* info) {
  return guard([&] {
    require(info, "image info");
    if (length < 0) throw std::invalid_argument("negative image length");
    if (intensity != OTE_INTENSITY_MINMAX && intensity != OTE_INTENSITY_PERCENTILE)
      throw std::invalid_argument("intensity must be 0 (minmax) or 1 (percentile), got " + std::to_string(intensity));
    const auto r = ote::ingest::decode_gray8(data, static_cast<size_t>(length), size,
                                             static_cast<ote::ingest::Intensity>(intensity), out);
    info->status = static_cast<int32_t>(r.status);
    info->width = r.width;
    info->height = r.height;
    info->bits = r.bits;
    info->channels = r.channels;
  });
}

int32_t ote_trainer_set_input(ote_trainer* trainer, int32_t normalization, float zscore_mean, float zscore_std,
                              const uint8_t* augment_classes, int32_t num_classes, uint64_t seed) {
  return guard([&] {
    auto& t = *deref(trainer, "trainer").impl;
    if (num_classes != 0 && num_classes != t.num_classes())
      throw std::invalid_argument("augmented classes: got " + std::to_string(num_classes) + " flags, model has " +
                                  std::to_string(t.num_classes()) + " classes");
    if (num_classes > 0) require(augment_classes, "augmented classes");
    std::vector<uint8_t> flags(augment_classes, augment_classes + std::max(0, num_classes));
    t.input().configure(static_cast<ote::Normalization>(normalization), zscore_mean, zscore_std, std::move(flags), seed);
    t.invalidate_features();  // the prefix outputs were computed from the old normalization
  });
}

int32_t ote_trainer_set_epoch(ote_trainer* trainer, int32_t epoch) {
  return guard([&] { deref(trainer, "trainer").impl->input().set_epoch(epoch); });
}

int32_t ote_trainer_prepare_batch(ote_trainer* trainer, ote_dataset* dataset, const int32_t* indices, int64_t n,
                                  int32_t augment, int64_t first_position, float* out) {
  return guard([&] {
    auto& t = *deref(trainer, "trainer").impl;
    auto& data = *deref(dataset, "dataset").impl;
    require(out, "output");
    if (n <= 0) throw std::invalid_argument("a batch needs at least one image");
    require(indices, "indices");
    for (int64_t i = 0; i < n; ++i)
      if (indices[i] < 0 || indices[i] >= data.count())
        throw std::out_of_range("image index " + std::to_string(indices[i]) + " is outside the dataset");
    torch::NoGradGuard no_grad;
    const auto x = t.prepare_batch(data, indices, n, augment != 0, first_position).contiguous();
    std::memcpy(out, x.data_ptr<float>(), static_cast<size_t>(x.numel()) * sizeof(float));
  });
}

int32_t ote_dataset_pixel_stats(ote_dataset* dataset, const int32_t* indices, int64_t n, double* out_mean,
                                double* out_std) {
  return guard([&] {
    auto& data = *deref(dataset, "dataset").impl;
    require(indices, "indices");
    require(out_mean, "mean output");
    require(out_std, "std output");
    for (int64_t i = 0; i < n; ++i)
      if (indices[i] < 0 || indices[i] >= data.count())
        throw std::out_of_range("image index " + std::to_string(indices[i]) + " is outside the dataset");
    ote::pixel_stats(data, indices, n, *out_mean, *out_std);
  });
}

}  // extern "C"
