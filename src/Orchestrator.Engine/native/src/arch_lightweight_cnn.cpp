#include "models.h"

namespace nn = torch::nn;

namespace ote {
namespace {

// The small baseline: 4 blocks of Conv3x3 -> BN -> ReLU -> MaxPool2, one group per block.
struct LightweightCnn : FeaturesNet {
  explicit LightweightCnn(int num_classes) {
    const int channels[] = {32, 64, 128, 256};
    features = register_module("features", nn::Sequential());
    int in = 3;
    for (int out : channels) {
      features->push_back(Block(
          nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)),
          nn::BatchNorm2d(out),
          nn::ReLU(),
          nn::MaxPool2d(nn::MaxPool2dOptions(2))));
      in = out;
    }
    feature_dim = in;
    head = register_module("head", nn::Linear(in, num_classes));
    init_weights(*this);
  }
  int group_count() const override { return 4; }
  int group_of_feature(int k) const override { return k; }
};

// No pretrained reference exists: no ImageNet classifier.
const ArchitectureRegistration lightweight_cnn{
    {"lightweight-cnn", 4, [](int c) { return std::make_shared<LightweightCnn>(c); }, {224, 16}, {}}};

}  // namespace
}  // namespace ote
