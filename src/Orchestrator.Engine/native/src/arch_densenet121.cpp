#include "models.h"

#include <regex>
#include <stdexcept>

namespace nn = torch::nn;

namespace ote {
namespace {

constexpr int kGrowth = 32;
constexpr int kBottleneck = 4 * kGrowth;

// BN -> ReLU -> 1x1 conv to 128 channels -> BN -> ReLU -> 3x3 conv to 32 new channels (no dropout).
struct DenseLayerImpl : nn::Module {
  nn::BatchNorm2d norm1{nullptr}, norm2{nullptr};
  nn::Conv2d conv1{nullptr}, conv2{nullptr};

  explicit DenseLayerImpl(int in) {
    norm1 = register_module("norm1", nn::BatchNorm2d(in));
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, kBottleneck, 1).bias(false)));
    norm2 = register_module("norm2", nn::BatchNorm2d(kBottleneck));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(kBottleneck, kGrowth, 3).padding(1).bias(false)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = conv1->forward(torch::relu(norm1->forward(x)));
    return conv2->forward(torch::relu(norm2->forward(y)));
  }
};
TORCH_MODULE(DenseLayer);

// Every layer sees the concatenation of the block input and all earlier layers' outputs.
struct DenseBlockImpl : nn::Module {
  std::vector<DenseLayer> layers;

  DenseBlockImpl(int in, int count) {
    for (int i = 0; i < count; ++i)
      layers.push_back(register_module("denselayer" + std::to_string(i + 1), DenseLayer(in + i * kGrowth)));
  }

  // x grows by each layer's channels: concatenating as we go equals concatenating every map at the end, and lets
  // the block be split between layers (one stage each).
  static torch::Tensor grow(DenseLayerImpl& layer, const torch::Tensor& x) { return torch::cat({x, layer.forward(x)}, 1); }

  torch::Tensor forward(torch::Tensor x) {
    for (auto& layer : layers) x = grow(*layer, x);
    return x;
  }
};
TORCH_MODULE(DenseBlock);

// torchvision 0.14 densenet121 (growth 32, blocks 6-12-24-16, 64 initial features), torchvision's names.
// Groups, shallow to deep, with their parameter counts:
//   0 conv0 + norm0                                   9,536
//   1 denseblock1 + transition1                     368,320
//   2 denseblock2 + transition2                   1,051,776
//   3 denseblock3 layers 1-8                        679,680
//   4 denseblock3 layers 9-16                       945,920
//   5 denseblock3 layers 17-24 + transition3      1,738,496
//   6 denseblock4 layers 1-8                        945,920
//   7 denseblock4 layers 9-16 + norm5             1,214,208   (backbone 6,953,856)
struct DenseNet121 : Net {
  nn::Sequential features{nullptr};

  explicit DenseNet121(int num_classes) {
    features = register_module("features", nn::Sequential());
    features->push_back("conv0", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    features->push_back("norm0", nn::BatchNorm2d(64));
    features->push_back("relu0", nn::ReLU());
    features->push_back("pool0", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
    const int layers[] = {6, 12, 24, 16};
    int channels = 64;
    for (int b = 0; b < 4; ++b) {
      const std::string n = std::to_string(b + 1);
      features->push_back("denseblock" + n, DenseBlock(channels, layers[b]));
      channels += layers[b] * kGrowth;
      if (b == 3) break;
      Block transition;
      transition->push_back("norm", nn::BatchNorm2d(channels));
      transition->push_back("relu", nn::ReLU());
      transition->push_back("conv", nn::Conv2d(nn::Conv2dOptions(channels, channels / 2, 1).bias(false)));
      transition->push_back("pool", nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
      features->push_back("transition" + n, transition);
      channels /= 2;
    }
    features->push_back("norm5", nn::BatchNorm2d(channels));
    feature_dim = channels;
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  int group_count() const override { return 8; }

  int group_of(const std::string& name) const override {
    const auto part = [&](const std::string& prefix) { return name.rfind("features." + prefix, 0) == 0; };
    if (part("conv0.") || part("norm0.")) return 0;
    if (part("denseblock1.") || part("transition1.")) return 1;
    if (part("denseblock2.") || part("transition2.")) return 2;
    if (part("transition3.")) return 5;
    if (part("norm5.")) return 7;
    const int in3 = index_after(name, "features.denseblock3.denselayer");
    if (in3 >= 1 && in3 <= 24) return in3 <= 8 ? 3 : in3 <= 16 ? 4 : 5;
    const int in4 = index_after(name, "features.denseblock4.denselayer");
    if (in4 >= 1 && in4 <= 16) return in4 <= 8 ? 6 : 7;
    throw std::logic_error("tensor '" + name + "' is not part of the densenet121 backbone");
  }

  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    for (size_t k = 0; k < features->size(); ++k) {
      auto child = features->ptr(k);
      if (auto block = std::dynamic_pointer_cast<DenseBlockImpl>(child)) {
        for (auto& layer : block->layers) {
          auto* l = layer.get();
          out.push_back({{layer.ptr()}, [l](const torch::Tensor& x) { return DenseBlockImpl::grow(*l, x); }});
        }
        continue;
      }
      torch::nn::AnyModule* step = &*(features->begin() + static_cast<std::ptrdiff_t>(k));
      out.push_back({{child}, [step](const torch::Tensor& x) { return step->forward(x); }});
    }
    // torchvision applies a ReLU after norm5, outside `features`.
    out.push_back({{}, [](const torch::Tensor& x) { return torch::relu(x); }});
    return out;
  }

  // Checkpoints from before module names could not contain dots name the layer parts "norm.1", "conv.2", ...;
  // torchvision's loader renames them to "norm1", "conv2", as here.
  std::string canonical_name(const std::string& name) const override {
    static const std::regex old_style(
        R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.([12]\.(?:weight|bias|running_mean|running_var))$)");
    std::smatch m;
    if (!std::regex_match(name, m, old_style)) return name;
    return m[1].str() + m[2].str();
  }
};

const ArchitectureRegistration densenet121{
    {"densenet121", 8, [](int c) { return std::make_shared<DenseNet121>(c); }, {224, 32}, {{"classifier"}, {}}}};

}  // namespace
}  // namespace ote
