#include "models.h"

#include <stdexcept>

namespace nn = torch::nn;

namespace ote {
namespace {

nn::Conv2d conv(int in, int out, int kernel, int stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).bias(false));
}

// The ResNet-50 bottleneck as torchvision 0.14 names it (stride on the 3x3 convolution, "ResNet v1.5").
struct BottleneckImpl : nn::Module {
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  nn::Sequential downsample{nullptr};

  BottleneckImpl(int in, int width, int stride) {
    const int out = width * 4;
    conv1 = register_module("conv1", conv(in, width, 1, 1));
    bn1 = register_module("bn1", nn::BatchNorm2d(width));
    conv2 = register_module("conv2", conv(width, width, 3, stride));
    bn2 = register_module("bn2", nn::BatchNorm2d(width));
    conv3 = register_module("conv3", conv(width, out, 1, 1));
    bn3 = register_module("bn3", nn::BatchNorm2d(out));
    if (stride != 1 || in != out)
      downsample = register_module("downsample", nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1->forward(conv1->forward(x)));
    y = torch::relu(bn2->forward(conv2->forward(y)));
    y = bn3->forward(conv3->forward(y));
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
  }
};
TORCH_MODULE(Bottleneck);

// torchvision 0.14 resnet50 without fc: conv1, bn1, layer1..layer4 (3, 4, 6, 3 bottlenecks).
// Groups, shallow to deep: [conv1+bn1], [layer1], [layer2], [layer3.0-2], [layer3.3-5], [layer4.0], [layer4.1],
// [layer4.2]; layer3 and layer4 are split because they hold 30% and 64% of the backbone's parameters.
struct ResNet50 : Net {
  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  nn::Sequential layers[4];

  explicit ResNet50(int num_classes) {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(64));
    const int blocks[] = {3, 4, 6, 3};
    int in = 64;
    for (int l = 0; l < 4; ++l) {
      const int width = 64 << l;
      layers[l] = register_module("layer" + std::to_string(l + 1), nn::Sequential());
      for (int i = 0; i < blocks[l]; ++i) {
        layers[l]->push_back(Bottleneck(in, width, i == 0 && l > 0 ? 2 : 1));
        in = width * 4;
      }
    }
    feature_dim = in;
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  int group_count() const override { return 8; }

  int group_of(const std::string& name) const override {
    if (name.rfind("conv1.", 0) == 0 || name.rfind("bn1.", 0) == 0) return 0;
    if (name.rfind("layer1.", 0) == 0) return 1;
    if (name.rfind("layer2.", 0) == 0) return 2;
    if (const int k = index_after(name, "layer3."); k >= 0) return k < 3 ? 3 : 4;
    if (const int k = index_after(name, "layer4."); k >= 0) return 5 + k;
    throw std::logic_error("tensor '" + name + "' is not part of the backbone");
  }

  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    out.push_back({{conv1.ptr(), bn1.ptr()}, [this](const torch::Tensor& x) {
                     return torch::max_pool2d(torch::relu(bn1->forward(conv1->forward(x))), 3, 2, 1);
                   }});
    for (auto& layer : layers) append_stages(out, layer);
    return out;
  }
};

const ArchitectureRegistration resnet50{
    {"resnet50", 8, [](int c) { return std::make_shared<ResNet50>(c); }, {224, 16}, {{"fc"}, {}}}};

}  // namespace
}  // namespace ote
