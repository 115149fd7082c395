#include <torch/torch.h>

#include <cstdio>
#include <string>

#include "c_api_support.h"
#include "cpu_allocator.h"
#include "device.h"

using namespace ote::capi;

std::string& ote::capi::last_error() {
  thread_local std::string message;
  return message;
}

extern "C" {

const char* ote_last_error(void) { return last_error().c_str(); }

int32_t ote_set_num_threads(int32_t threads) {
  return guard([&] {
    if (threads <= 0) throw std::invalid_argument("thread count must be positive");
    torch::set_num_threads(threads);
  });
}

int32_t ote_group_count(const char* arch, int32_t* out_groups) {
  return guard([&] {
    require(arch, "arch");
    require(out_groups, "out_groups");
    *out_groups = ote::group_count_of(arch);
  });
}

int32_t ote_dataset_open(const char* images_path, int64_t count, int32_t height, int32_t width, const int32_t* labels,
                         ote_dataset** out) {
  return guard([&] {
    require(images_path, "images_path");
    require(out, "out");
    *out = nullptr;
    auto ds = std::make_unique<ote_dataset>();
    ds->impl = std::make_unique<ote::Dataset>(images_path, count, height, width, labels);
    *out = ds.release();
  });
}

void ote_dataset_free(ote_dataset* dataset) { delete dataset; }

int32_t ote_trainer_create(const char* arch, int32_t num_classes, int32_t input_size, int32_t optimizer, double lr,
                           uint64_t seed, const char* device, ote_trainer** out) {
  return guard([&] {
    require(arch, "arch");
    require(out, "out");
    *out = nullptr;
    const auto on = ote::parse_device(device != nullptr ? device : "cpu");
    auto t = std::make_unique<ote_trainer>();
    t->impl = std::make_unique<ote::Trainer>(arch, num_classes, input_size, optimizer, lr, seed, on);
    *out = t.release();
  });
}

void ote_trainer_free(ote_trainer* trainer) { delete trainer; }

int32_t ote_trainer_group_count(ote_trainer* trainer, int32_t* out_groups) {
  return guard([&] {
    require(out_groups, "out_groups");
    *out_groups = deref(trainer, "trainer").impl->group_count();
  });
}

int32_t ote_trainer_set_trainable(ote_trainer* trainer, int32_t unfrozen_groups) {
  return guard([&] { deref(trainer, "trainer").impl->set_trainable(unfrozen_groups); });
}

int32_t ote_trainer_set_trainable_groups(ote_trainer* trainer, const int32_t* groups, int32_t count, double lr,
                                         double discriminative) {
  return guard([&] {
    if (count < 0) throw std::invalid_argument("group count must not be negative");
    if (count > 0) require(groups, "groups");
    auto& t = *deref(trainer, "trainer").impl;
    if (!(lr > 0)) throw std::invalid_argument("learning rate must be positive");
    t.set_trainable_groups(std::vector<int>(groups, groups + count));
    t.set_discriminative(discriminative);
    t.set_lr(lr);
  });
}

int32_t ote_trainer_set_batchnorm_updates(ote_trainer* trainer, int32_t update) {
  return guard([&] { deref(trainer, "trainer").impl->set_batchnorm_updates(update != 0); });
}

int32_t ote_trainer_set_lr(ote_trainer* trainer, double lr) {
  return guard([&] { deref(trainer, "trainer").impl->set_lr(lr); });
}

int32_t ote_trainer_get_lr(ote_trainer* trainer, double* out_lr) {
  return guard([&] {
    require(out_lr, "out_lr");
    *out_lr = deref(trainer, "trainer").impl->lr();
  });
}

int32_t ote_trainer_reset_optimizer(ote_trainer* trainer) {
  return guard([&] { deref(trainer, "trainer").impl->reset_optimizer(); });
}

int32_t ote_engine_info(ote_engine_info_t* out) {
  return guard([&] {
    require(out, "out");
    const auto facts = ote::engine_facts();
    *out = {};
    std::snprintf(out->libtorch_version, sizeof out->libtorch_version, "%s", facts.libtorch_version.c_str());
    out->cuda_built = facts.cuda_built ? 1 : 0;
    out->cuda_available = facts.cuda_available ? 1 : 0;
    out->device_count = facts.device_count;
  });
}

int32_t ote_cpu_allocator_stats(ote_cpu_allocator_stats_t* out) {
  return guard([&] {
    require(out, "out");
    const auto s = ote::cpu_allocator_stats();
    *out = {s.reused, s.fresh, s.idle_bytes, s.idle_limit};
  });
}

int32_t ote_set_cpu_allocator_idle_limit(int64_t bytes) {
  return guard([&] {
    if (bytes < 0) throw std::invalid_argument("the idle limit must not be negative");
    ote::set_cpu_allocator_idle_limit(bytes);
  });
}

int32_t ote_device_name(int32_t index, char* out, int32_t capacity) {
  return guard([&] {
    require(out, "out");
    if (capacity <= 0) throw std::invalid_argument("capacity must be positive");
    const auto facts = ote::engine_facts();
    if (index < 0 || index >= facts.device_count)
      throw std::invalid_argument("there is no CUDA device " + std::to_string(index));
    const auto name = static_cast<size_t>(index) < facts.device_names.size() ? facts.device_names[index] : std::string();
    std::snprintf(out, static_cast<size_t>(capacity), "%s", name.c_str());
  });
}

int32_t ote_check_device(const char* device) {
  return guard([&] {
    require(device, "device");
    ote::parse_device(device);
  });
}

int32_t ote_trainer_set_feature_cache(ote_trainer* trainer, int32_t enabled, int64_t memory_bytes, const char* spill_dir) {
  return guard([&] {
    deref(trainer, "trainer").impl->configure_feature_cache(enabled != 0, memory_bytes, spill_dir != nullptr ? spill_dir : "");
  });
}

int32_t ote_trainer_take_cache_counters(ote_trainer* trainer, int64_t* out_hits, int64_t* out_misses) {
  return guard([&] {
    require(out_hits, "out_hits");
    require(out_misses, "out_misses");
    const auto c = deref(trainer, "trainer").impl->take_cache_counters();
    *out_hits = c.hits;
    *out_misses = c.misses;
  });
}

int32_t ote_trainer_split(ote_trainer* trainer, int32_t* out_split, int32_t* out_stages) {
  return guard([&] {
    require(out_split, "out_split");
    require(out_stages, "out_stages");
    auto& t = *deref(trainer, "trainer").impl;
    *out_split = static_cast<int32_t>(t.split());
    *out_stages = static_cast<int32_t>(t.net().stages().size());
  });
}

int32_t ote_trainer_train_epoch(ote_trainer* trainer, ote_dataset* dataset, const int32_t* order, int64_t n,
                                const float* class_weights, int32_t num_weights, int32_t batch_size,
                                ote_progress_fn progress, void* user, const volatile int32_t* cancel_flag,
                                double* out_mean_loss) {
  return guard([&] {
    require(out_mean_loss, "out_mean_loss");
    ote::ProgressSink sink{progress, user, cancel_flag};
    *out_mean_loss = deref(trainer, "trainer").impl->train_epoch(*deref(dataset, "dataset").impl, order, n,
                                                                 class_weights, num_weights, batch_size, sink);
  });
}

int32_t ote_trainer_evaluate(ote_trainer* trainer, ote_dataset* dataset, const int32_t* indices, int64_t n,
                             const float* class_weights, int32_t num_weights, int32_t batch_size,
                             ote_progress_fn progress, void* user, const volatile int32_t* cancel_flag,
                             double* out_loss, int32_t* predictions_out, float* probs_out) {
  return guard([&] {
    require(out_loss, "out_loss");
    ote::ProgressSink sink{progress, user, cancel_flag};
    ote::EvalOutput out;
    out.predictions = predictions_out;
    out.probabilities = probs_out;
    deref(trainer, "trainer").impl->evaluate(*deref(dataset, "dataset").impl, indices, n, class_weights, num_weights,
                                             batch_size, sink, out);
    *out_loss = out.loss;
  });
}

int32_t ote_trainer_calibrate_batchnorm(ote_trainer* trainer, ote_dataset* dataset, const int32_t* indices, int64_t n,
                                        int32_t batch_size, ote_progress_fn progress, void* user,
                                        const volatile int32_t* cancel_flag) {
  return guard([&] {
    ote::ProgressSink sink{progress, user, cancel_flag};
    deref(trainer, "trainer").impl->calibrate_batchnorm(*deref(dataset, "dataset").impl, indices, n, batch_size, sink);
  });
}

int32_t ote_trainer_remember_best(ote_trainer* trainer) {
  return guard([&] { deref(trainer, "trainer").impl->remember_best(); });
}

int32_t ote_trainer_restore_best(ote_trainer* trainer) {
  return guard([&] { deref(trainer, "trainer").impl->restore_best(); });
}

int32_t ote_trainer_save_checkpoint(ote_trainer* trainer, const char* path, int32_t epoch) {
  return guard([&] {
    require(path, "path");
    ote::save_checkpoint(*deref(trainer, "trainer").impl, path, epoch);
  });
}

int32_t ote_trainer_load_checkpoint(ote_trainer* trainer, const char* path, int32_t* out_epoch) {
  return guard([&] {
    require(path, "path");
    require(out_epoch, "out_epoch");
    *out_epoch = ote::load_checkpoint(*deref(trainer, "trainer").impl, path);
  });
}

int32_t ote_trainer_save_best(ote_trainer* trainer, const char* path) {
  return guard([&] {
    require(path, "path");
    ote::save_best(*deref(trainer, "trainer").impl, path);
  });
}

int32_t ote_trainer_capture_checkpoint(ote_trainer* trainer, int32_t epoch, ote_bytes** out_bytes) {
  return guard([&] {
    require(out_bytes, "out_bytes");
    *out_bytes = new ote_bytes{ote::checkpoint_bytes(*deref(trainer, "trainer").impl, epoch)};
  });
}

int32_t ote_trainer_capture_best(ote_trainer* trainer, ote_bytes** out_bytes) {
  return guard([&] {
    require(out_bytes, "out_bytes");
    *out_bytes = new ote_bytes{ote::best_bytes(*deref(trainer, "trainer").impl)};
  });
}

const uint8_t* ote_bytes_data(const ote_bytes* bytes) {
  return bytes == nullptr ? nullptr : reinterpret_cast<const uint8_t*>(bytes->value.data());
}

int64_t ote_bytes_size(const ote_bytes* bytes) { return bytes == nullptr ? 0 : static_cast<int64_t>(bytes->value.size()); }

void ote_bytes_free(ote_bytes* bytes) { delete bytes; }

int32_t ote_trainer_load_best(ote_trainer* trainer, const char* path) {
  return guard([&] {
    require(path, "path");
    ote::load_best(*deref(trainer, "trainer").impl, path);
  });
}

int32_t ote_trainer_load_backbone(ote_trainer* trainer, const char* path, int32_t* out_loaded) {
  return guard([&] {
    require(path, "path");
    require(out_loaded, "out_loaded");
    *out_loaded = deref(trainer, "trainer").impl->load_backbone(path);
  });
}

int32_t ote_trainer_feature_dim(ote_trainer* trainer, int32_t* out_dim) {
  return guard([&] {
    require(out_dim, "out_dim");
    *out_dim = deref(trainer, "trainer").impl->net().feature_dim;
  });
}

namespace {

// Eval forward of an N x 3 x H x W input into out: pooled features, or logits.
int32_t eval_forward(ote_trainer* trainer, const float* input, int32_t n, int32_t c, int32_t h, int32_t w, float* out,
                     bool logits) {
  return guard([&] {
    require(input, "input");
    require(out, "out");
    if (n <= 0 || c != 3 || h <= 0 || w <= 0) throw std::invalid_argument("forward: input must be N x 3 x H x W");
    auto& t = *deref(trainer, "trainer").impl;
    const auto x = torch::from_blob(const_cast<float*>(input), {n, c, h, w}, torch::kFloat32);
    const auto y = (logits ? t.logits(x) : t.features(x)).contiguous();
    std::memcpy(out, y.data_ptr<float>(), static_cast<size_t>(y.numel()) * sizeof(float));
  });
}

}  // namespace

int32_t ote_trainer_features(ote_trainer* trainer, const float* input, int32_t n, int32_t c, int32_t h, int32_t w,
                             float* out) {
  return eval_forward(trainer, input, n, c, h, w, out, false);
}

int32_t ote_trainer_logits(ote_trainer* trainer, const float* input, int32_t n, int32_t c, int32_t h, int32_t w,
                           float* out) {
  return eval_forward(trainer, input, n, c, h, w, out, true);
}

int32_t ote_trainer_param_checksum(ote_trainer* trainer, int32_t group, double* out) {
  return guard([&] {
    require(out, "out");
    *out = deref(trainer, "trainer").impl->param_checksum(group);
  });
}

int32_t ote_trainer_bn_stats_checksum(ote_trainer* trainer, int32_t group, double* out) {
  return guard([&] {
    require(out, "out");
    *out = deref(trainer, "trainer").impl->bn_stats_checksum(group);
  });
}

int32_t ote_trainer_trainable_count(ote_trainer* trainer, int64_t* out_params) {
  return guard([&] {
    require(out_params, "out_params");
    *out_params = deref(trainer, "trainer").impl->trainable_count();
  });
}

}  // extern "C"
