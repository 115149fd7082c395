#include "models.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <mutex>
#include <stdexcept>

namespace nn = torch::nn;

namespace ote {

int index_after(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return -1;
  size_t end = prefix.size();
  while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
  if (end == prefix.size()) return -1;
  return std::stoi(name.substr(prefix.size(), end - prefix.size()));
}

int FeaturesNet::group_of(const std::string& name) const {
  const int k = index_after(name, "features.");
  if (k < 0) throw std::logic_error("tensor '" + name + "' is not part of the backbone");
  return group_of_feature(k);
}

const std::vector<Stage>& Net::stages() {
  if (stages_.empty()) stages_ = build_stages();
  return stages_;
}

torch::Tensor Net::run_stages(torch::Tensor x, size_t begin, size_t end) {
  const auto& all = stages();
  if (begin > end || end > all.size()) throw std::out_of_range("stage range out of bounds");
  for (size_t s = begin; s < end; ++s) x = all[s].run(x);
  return x;
}

void append_stages(std::vector<Stage>& out, torch::nn::Sequential& seq) {
  for (size_t k = 0; k < seq->size(); ++k) {
    auto child = seq->ptr(k);
    if (auto block = std::dynamic_pointer_cast<BlockImpl>(child)) {
      torch::nn::Sequential inner(std::static_pointer_cast<torch::nn::SequentialImpl>(block));
      append_stages(out, inner);
      continue;
    }
    // Sequential keeps each child as an AnyModule, which forwards it whatever its type.
    torch::nn::AnyModule* step = &*(seq->begin() + static_cast<std::ptrdiff_t>(k));
    out.push_back({{child}, [step](const torch::Tensor& x) { return step->forward(x); }});
  }
}

void init_weights(nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* lin = m->as<nn::Linear>()) {
      nn::init::normal_(lin->weight, 0.0, 0.01);
      nn::init::zeros_(lin->bias);
    }
  }
}

namespace {

// A deque: references handed out (architecture(), ote_architecture_name) stay valid when a graph backbone is added.
std::deque<Architecture>& registry() {
  static std::deque<Architecture> architectures;
  return architectures;
}

// Guards the registry against run-time registration (register_runtime_architecture).
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

// Names registered when the library loaded.
std::vector<std::string>& built_in_names() {
  static std::vector<std::string> names;
  return names;
}

std::mutex& build_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

const Architecture& architecture(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    for (const auto& a : registry())
      if (a.name == name) return a;
  }
  std::string supported;
  for (const auto& n : architecture_names()) supported += (supported.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown architecture '" + name + "' (supported: " + supported + ")");
}

ArchitectureRegistration::ArchitectureRegistration(Architecture arch) {
  built_in_names().push_back(arch.name);
  registry().push_back(std::move(arch));
}

void register_runtime_architecture(Architecture arch) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto& built_in = built_in_names();
  if (std::find(built_in.begin(), built_in.end(), arch.name) != built_in.end())
    throw std::invalid_argument("'" + arch.name + "' is a built-in architecture");
  for (auto& a : registry())
    if (a.name == arch.name) {  // the name's string stays: ote_architecture_name handed it out
      a.groups = arch.groups;
      a.make = std::move(arch.make);
      a.input = arch.input;
      a.classifier = std::move(arch.classifier);
      return;
    }
  registry().push_back(std::move(arch));
}

std::vector<std::string> architecture_names() {
  std::vector<std::string> names;
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (const auto& a : registry()) names.push_back(a.name);
  std::sort(names.begin(), names.end());
  return names;
}

int group_count_of(const std::string& arch) { return architecture(arch).groups; }

std::shared_ptr<Net> make_net(const std::string& arch, int num_classes) {
  const auto& a = architecture(arch);
  if (num_classes < 2) throw std::invalid_argument("num_classes must be at least 2");
  return a.make(num_classes);
}

std::shared_ptr<Net> make_seeded_net(const std::string& arch, int num_classes, uint64_t seed) {
  std::lock_guard<std::mutex> lock(build_mutex());
  torch::manual_seed(seed);
  return make_net(arch, num_classes);
}

std::shared_ptr<Net> make_unseeded_net(const std::string& arch, int num_classes) {
  std::lock_guard<std::mutex> lock(build_mutex());
  at::Generator gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor state;
  {
    std::lock_guard<std::mutex> gen_lock(gen.mutex());
    state = gen.get_state();
  }
  auto net = make_net(arch, num_classes);
  std::lock_guard<std::mutex> gen_lock(gen.mutex());
  gen.set_state(state);
  return net;
}

}  // namespace ote
