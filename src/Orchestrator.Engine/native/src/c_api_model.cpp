// C ABI of architecture descriptions, imported backbone weights and the engine benchmark.
#include <torch/torch.h>

#include <cstdio>

#include "bench.h"
#include "c_api_support.h"
#include "state_dict.h"

struct ote_weights {
  ote::BackboneWeights weights;
  std::shared_ptr<ote::Net> net;  // holds the backbone tensors, for forward
};

using namespace ote::capi;

extern "C" {

int32_t ote_architecture_count(int32_t* out_count) {
  return guard([&] {
    require(out_count, "out_count");
    *out_count = static_cast<int32_t>(ote::architecture_names().size());
  });
}

int32_t ote_architecture_name(int32_t index, const char** out_name) {
  return guard([&] {
    require(out_name, "out_name");
    const auto names = ote::architecture_names();
    if (index < 0 || static_cast<size_t>(index) >= names.size())
      throw std::out_of_range("architecture index " + std::to_string(index) + " is out of range");
    *out_name = ote::architecture(names[static_cast<size_t>(index)]).name.c_str();  // the registry's own string
  });
}

int32_t ote_architecture_info(const char* arch, ote_architecture_info_t* out) {
  return guard([&] {
    require(arch, "arch");
    require(out, "out");
    const auto& a = ote::architecture(arch);
    out->groups = a.groups;
    out->default_size = a.input.default_size;
    out->min_size = a.input.min_size;
    out->has_reference_classifier = a.classifier.linears.empty() ? 0 : 1;
    for (int c = 0; c < 3; ++c) {
      out->mean[c] = a.input.mean[static_cast<size_t>(c)];
      out->std[c] = a.input.std[static_cast<size_t>(c)];
    }
  });
}

int32_t ote_weights_open(const char* arch, const char* path, ote_weights** out) {
  return guard([&] {
    require(arch, "arch");
    require(path, "path");
    require(out, "out");
    *out = nullptr;
    auto w = std::make_unique<ote_weights>();
    w->net = ote::make_unseeded_net(arch, 2);
    w->weights = ote::read_weights(arch, *w->net, path);
    ote::load_backbone_into(w->weights, *w->net);
    *out = w.release();
  });
}

void ote_weights_free(ote_weights* weights) { delete weights; }

int32_t ote_weights_summary(ote_weights* weights, ote_weights_summary_t* out) {
  return guard([&] {
    require(out, "out");
    const auto& w = deref(weights, "weights").weights;
    out->backbone_tensors = static_cast<int32_t>(w.backbone.size());
    out->classifier_tensors = static_cast<int32_t>(w.classifier.size());
    out->ignored_tensors = w.ignored;
    out->from_state_dict = w.from_state_dict ? 1 : 0;
    out->classes = w.classes();
  });
}

int32_t ote_weights_save(ote_weights* weights, const char* path) {
  return guard([&] {
    require(path, "path");
    ote::save_weights(deref(weights, "weights").weights, path);
  });
}

int32_t ote_weights_forward(ote_weights* weights, const char* input_path, const char* output_path, int64_t* out_n) {
  return guard([&] {
    require(input_path, "input_path");
    require(output_path, "output_path");
    require(out_n, "out_n");
    auto& w = deref(weights, "weights");
    *out_n = ote::forward_file(w.weights, *w.net, input_path, output_path);
  });
}

int32_t ote_bench_engine(const char* arch, int32_t size, int32_t batch, int32_t steps, int32_t warmup,
                         ote_bench_result_t* out) {
  return guard([&] {
    require(arch, "arch");
    require(out, "out");
    const auto r = ote::bench_engine(arch, size, batch, steps, warmup);
    out->train_all_images_per_s = r.train_all;
    out->train_head_images_per_s = r.train_head;
    out->inference_images_per_s = r.inference;
    out->peak_rss_kib = r.peak_rss_kib;
  });
}

int32_t ote_bench_epochs(const char* arch, int32_t size, int32_t batch, int32_t train, int32_t val, int32_t unfrozen,
                         int32_t cache, int32_t epochs, ote_bench_epoch_t* out, char* trainable_out, int32_t capacity) {
  return guard([&] {
    require(arch, "arch");
    require(out, "out");
    require(trainable_out, "trainable_out");
    if (capacity <= 0) throw std::invalid_argument("capacity must be positive");
    const auto r = ote::bench_epochs(arch, size, batch, train, val, unfrozen, cache != 0, epochs);
    out->first_epoch_s = r.first_epoch_s;
    out->later_epoch_s = r.later_epoch_s;
    out->hits = r.hits;
    out->misses = r.misses;
    std::snprintf(trainable_out, static_cast<size_t>(capacity), "%s", r.trainable.c_str());
  });
}

}  // extern "C"
