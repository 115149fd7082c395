#include "models.h"

#include <stdexcept>

namespace nn = torch::nn;

namespace ote {
namespace {

// Depthwise 3x3 ("conv1") then pointwise 1x1 ("pointwise"), neither with bias.
struct SeparableConvImpl : nn::Module {
  nn::Conv2d conv1{nullptr}, pointwise{nullptr};

  SeparableConvImpl(int in, int out) {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, in, 3).padding(1).groups(in).bias(false)));
    pointwise = register_module("pointwise", nn::Conv2d(nn::Conv2dOptions(in, out, 1).bias(false)));
  }

  torch::Tensor forward(const torch::Tensor& x) { return pointwise->forward(conv1->forward(x)); }
};
TORCH_MODULE(SeparableConv);

// One Xception block: "rep" = reps x (ReLU, SeparableConv, BatchNorm), the first ReLU dropped when the block
// does not start with one, then a 3x3 max pool when strided; plus the input, through a 1x1 conv + BatchNorm
// ("skip", "skipbn") when the shape changes. grow_first: the first separable conv widens to `out`, otherwise
// the last one does.
struct XceptionBlockImpl : nn::Module {
  nn::Sequential rep{nullptr};
  nn::Conv2d skip{nullptr};
  nn::BatchNorm2d skipbn{nullptr};

  XceptionBlockImpl(int in, int out, int reps, int stride, bool start_with_relu, bool grow_first) {
    if (out != in || stride != 1) {
      skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
      skipbn = register_module("skipbn", nn::BatchNorm2d(out));
    }
    rep = nn::Sequential();
    for (int i = 0; i < reps; ++i) {
      const int from = grow_first ? (i == 0 ? in : out) : in;
      const int to = grow_first ? out : (i < reps - 1 ? in : out);
      if (i > 0 || start_with_relu) rep->push_back(nn::ReLU());
      rep->push_back(SeparableConv(from, to));
      rep->push_back(nn::BatchNorm2d(to));
    }
    if (stride != 1) rep->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(stride).padding(1)));
    register_module("rep", rep);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = rep->forward(x);
    return skip ? y + skipbn->forward(skip->forward(x)) : y + x;
  }
};
TORCH_MODULE(XceptionBlock);

// Xception (Chollet 2017) with the parameter names of timm's legacy_xception (Cadene's pretrainedmodels port):
// conv1/bn1, conv2/bn2, block1..block12, conv3/bn3, conv4/bn4 (conv3/conv4 separable). Default input 299.
// Groups and their parameters (backbone 20,806,952):
//   0 conv1, bn1, conv2, bn2     19,488      4 block4-7            6,455,904
//   1 block1                     35,264      5 block8-11           6,455,904
//   2 block2                    136,064      6 block12             2,039,584
//   3 block3                    915,944      7 conv3, bn3, conv4, bn4  4,748,800
struct Xception : Net {
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, bn4{nullptr};
  std::vector<XceptionBlock> blocks;
  SeparableConv conv3{nullptr}, conv4{nullptr};

  explicit Xception(int num_classes) {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 32, 3).stride(2).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(32));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).bias(false)));
    bn2 = register_module("bn2", nn::BatchNorm2d(64));
    auto add = [&](int in, int out, int reps, int stride, bool start_with_relu, bool grow_first) {
      blocks.push_back(register_module("block" + std::to_string(blocks.size() + 1),
                                       XceptionBlock(in, out, reps, stride, start_with_relu, grow_first)));
    };
    add(64, 128, 2, 2, false, true);
    add(128, 256, 2, 2, true, true);
    add(256, 728, 2, 2, true, true);
    for (int i = 0; i < 8; ++i) add(728, 728, 3, 1, true, true);
    add(728, 1024, 2, 2, true, false);
    conv3 = register_module("conv3", SeparableConv(1024, 1536));
    bn3 = register_module("bn3", nn::BatchNorm2d(1536));
    conv4 = register_module("conv4", SeparableConv(1536, 2048));
    bn4 = register_module("bn4", nn::BatchNorm2d(2048));
    feature_dim = 2048;
    head = register_module("head", nn::Linear(feature_dim, num_classes));
    init_weights(*this);
  }

  int group_count() const override { return 8; }

  int group_of(const std::string& name) const override {
    const int block = index_after(name, "block");
    if (block >= 1 && block <= 3) return block;
    if (block >= 4 && block <= 7) return 4;
    if (block >= 8 && block <= 11) return 5;
    if (block == 12) return 6;
    for (const char* stem : {"conv1.", "bn1.", "conv2.", "bn2."})
      if (name.rfind(stem, 0) == 0) return 0;
    for (const char* tail : {"conv3.", "bn3.", "conv4.", "bn4."})
      if (name.rfind(tail, 0) == 0) return 7;
    throw std::logic_error("tensor '" + name + "' is not part of the backbone");
  }

  std::vector<Stage> build_stages() override {
    std::vector<Stage> out;
    out.push_back({{conv1.ptr(), bn1.ptr(), conv2.ptr(), bn2.ptr()}, [this](const torch::Tensor& x) {
                     auto y = torch::relu(bn1->forward(conv1->forward(x)));
                     return torch::relu(bn2->forward(conv2->forward(y)));
                   }});
    for (auto& b : blocks) {
      auto* block = b.get();
      out.push_back({{b.ptr()}, [block](const torch::Tensor& x) { return block->forward(x); }});
    }
    out.push_back({{conv3.ptr(), bn3.ptr(), conv4.ptr(), bn4.ptr()}, [this](const torch::Tensor& x) {
                     auto y = torch::relu(bn3->forward(conv3->forward(x)));
                     return torch::relu(bn4->forward(conv4->forward(y)));
                   }});
    return out;
  }
};

// timm's legacy_xception weights were trained on inputs scaled to [-1, 1]: mean = std = 0.5.
const ArchitectureRegistration xception{{"xception", 8, [](int c) { return std::make_shared<Xception>(c); },
                                         {299, 16, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}}, {{"fc"}, {}}}};

}  // namespace
}  // namespace ote
