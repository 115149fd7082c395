#include "engine.h"

#include <unordered_map>
#include <unordered_set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include "raw_tensors.h"
#include "torch_compat.h"

namespace F = torch::nn::functional;

namespace ote {

// ---------------------------------------------------------------- dataset

Dataset::Dataset(const std::string& path, int64_t count, int height, int width, const int32_t* labels)
    : path_(path), count_(count), height_(height), width_(width) {
  if (count <= 0 || height <= 0 || width <= 0)
    throw std::invalid_argument("dataset: count, height and width must be positive");
  if (labels == nullptr) throw std::invalid_argument("dataset: labels are required");
  labels_.assign(labels, labels + count);
  for (int64_t i = 0; i < count; ++i)
    if (labels_[static_cast<size_t>(i)] < 0)
      throw std::invalid_argument("dataset: negative label at index " + std::to_string(i));

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("dataset: cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("dataset: cannot stat '" + path + "': " + std::strerror(err));
  }
  const uint64_t expected = static_cast<uint64_t>(count) * static_cast<uint64_t>(height) * static_cast<uint64_t>(width);
  if (static_cast<uint64_t>(st.st_size) != expected) {
    ::close(fd);
    throw std::runtime_error("dataset: '" + path + "' has " + std::to_string(st.st_size) + " bytes, expected " +
                             std::to_string(expected) + " (" + std::to_string(count) + " x " + std::to_string(height) +
                             " x " + std::to_string(width) + ")");
  }
  void* p = ::mmap(nullptr, expected, PROT_READ, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) throw std::runtime_error("dataset: mmap of '" + path + "' failed: " + std::strerror(err));
  data_ = static_cast<const uint8_t*>(p);
  bytes_ = expected;
}

Dataset::~Dataset() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), bytes_);
}

torch::Tensor Dataset::gather_images(const int32_t* idx, int64_t n) const {
  const size_t image = static_cast<size_t>(height_) * static_cast<size_t>(width_);
  auto out = torch::empty({n, 1, height_, width_}, torch::kUInt8);
  auto* dst = out.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + static_cast<size_t>(i) * image, data_ + static_cast<size_t>(idx[i]) * image, image);
  return out;
}

torch::Tensor Dataset::gather_labels(const int32_t* idx, int64_t n) const {
  auto out = torch::empty({n}, torch::kInt64);
  auto* dst = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) dst[i] = labels_[static_cast<size_t>(idx[i])];
  return out;
}

// ---------------------------------------------------------------- trainer

namespace {

// "head.…" -> L; any other name -> its backbone group.
int group_of_name(const Net& net, const std::string& name) {
  if (name.rfind("head.", 0) == 0) return net.group_count();
  return net.group_of(name);
}

bool is_bn_running_stat(const std::string& name) {
  auto ends_with = [&](const char* s) {
    const size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  return ends_with(".running_mean") || ends_with(".running_var");
}

}  // namespace

Trainer::Trainer(const std::string& arch, int num_classes, int input_size, int optimizer_kind, double lr,
                 uint64_t seed, torch::Device device)
    : arch_(arch), device_(device), num_classes_(num_classes), input_size_(input_size), optimizer_kind_(optimizer_kind),
      lr_(lr) {
  if (optimizer_kind != 0 && optimizer_kind != 1)
    throw std::invalid_argument("optimizer must be 0 (adam) or 1 (sgd), got " + std::to_string(optimizer_kind));
  if (!(lr > 0)) throw std::invalid_argument("learning rate must be positive");
  const auto& spec = architecture(arch).input;
  if (input_size < spec.min_size)
    throw std::invalid_argument(arch + " needs inputs of at least " + std::to_string(spec.min_size) + "x" +
                                std::to_string(spec.min_size) + ", got " + std::to_string(input_size) + "x" +
                                std::to_string(input_size));
  net_ = make_seeded_net(arch, num_classes, seed);
  // Channels-last convolution weights and inputs: oneDNN's CPU kernels (depthwise backward above all) run
  // markedly faster in that layout. Done before the optimizer exists, so its state follows the layout.
  for (auto& p : net_->parameters(true))
    if (p.dim() == 4) p.set_data(p.detach().contiguous(torch::MemoryFormat::ChannelsLast));
  // Drawn on the CPU above (the same weights whatever the device), then moved.
  if (device_ != torch::kCPU) net_->to(device_);
  for (auto& p : net_->named_parameters(true))
    entries_.push_back({p.key(), p.value(), group_of_name(*net_, p.key()), false});
  for (auto& b : net_->named_buffers(true))
    entries_.push_back({b.key(), b.value(), group_of_name(*net_, b.key()), true});
  mean_ = torch::tensor(std::vector<float>(spec.mean.begin(), spec.mean.end())).view({1, 3, 1, 1});
  std_ = torch::tensor(std::vector<float>(spec.std.begin(), spec.std.end())).view({1, 3, 1, 1});
  for (auto& m : net_->named_modules("", false))
    if (auto* bn = m.value()->as<torch::nn::BatchNorm2d>())
      batchnorms_.emplace_back(bn, bn->weight.defined() ? group_of_name(*net_, m.key() + ".weight") : net_->group_count());
  set_trainable(0);
  reset_optimizer();
}

void Trainer::set_trainable(int m) {
  const int L = group_count();
  if (m < 0 || m > L)
    throw std::invalid_argument("unfrozen groups must be in [0, " + std::to_string(L) + "], got " + std::to_string(m));
  std::vector<int> groups;
  for (int g = L - m; g < L; ++g) groups.push_back(g);
  set_trainable_groups(std::move(groups));
}

void Trainer::set_trainable_groups(std::vector<int> groups) {
  const int L = group_count();
  std::sort(groups.begin(), groups.end());
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i] < 0 || groups[i] >= L)
      throw std::invalid_argument("group " + std::to_string(groups[i]) + " is out of range [0, " + std::to_string(L - 1) + "]");
    if (i > 0 && groups[i] == groups[i - 1])
      throw std::invalid_argument("group " + std::to_string(groups[i]) + " is named twice");
  }
  std::vector<bool> trains(L + 1, false);
  trains[L] = true;
  for (int g : groups) trains[g] = true;
  for (auto& e : entries_) {
    if (e.is_buffer) continue;
    const bool trainable = trains[e.group];
    e.tensor.set_requires_grad(trainable);
    // A frozen parameter must carry no gradient, so that Adam/SGD skip it (they skip undefined grads).
    if (!trainable) e.tensor.mutable_grad().reset();
  }
  trainable_ = std::move(groups);
  split_ = split_for(trainable_.empty() ? L : trainable_.front());
  set_lr(lr_);
}

size_t Trainer::split_for(int first_trainable) {
  std::unordered_map<const void*, int> group_of_tensor;
  for (const auto& e : entries_)
    if (!e.is_buffer) group_of_tensor[e.tensor.unsafeGetTensorImpl()] = e.group;
  const auto& stages = net_->stages();
  size_t end = 0;
  bool holds_frozen_tensors = false;
  for (; end < stages.size(); ++end) {
    int deepest = -1;
    for (const auto& module : stages[end].modules)
      for (const auto& p : module->parameters(true)) deepest = std::max(deepest, group_of_tensor.at(p.unsafeGetTensorImpl()));
    if (deepest >= first_trainable) break;
    holds_frozen_tensors = holds_frozen_tensors || deepest >= 0;
  }
  if (!holds_frozen_tensors) return 0;  // a prefix of activations and poolings alone is not worth keeping
  return end == stages.size() ? end + 1 : end;
}

torch::Tensor Trainer::prefix(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const size_t n = net_->stages().size();
  if (split_ <= n) return net_->run_stages(x, 0, split_);
  return Net::global_pool(net_->run_stages(x, 0, n));
}

torch::Tensor Trainer::suffix(const torch::Tensor& h) {
  const size_t n = net_->stages().size();
  return net_->head->forward(split_ <= n ? Net::global_pool(net_->run_stages(h, split_, n)) : h);
}

void Trainer::configure_feature_cache(bool enabled, int64_t memory_bytes, const std::string& spill_dir) {
  cache_.configure(enabled, memory_bytes, spill_dir);
}

CacheCounters Trainer::take_cache_counters() {
  const auto c = counters_;
  counters_ = {};
  return c;
}

bool Trainer::cacheable(const Dataset& data, int32_t image, bool augment) const {
  return !augment || !input_.augments() || !input_.augments_class(data.label(image));
}

torch::Tensor Trainer::prefix_rows(const Dataset& data, const std::vector<int32_t>& images, const int64_t* positions,
                                   bool augment) {
  counters_.misses += static_cast<int64_t>(images.size());
  return prefix(prepare_batch(data, images.data(), static_cast<int64_t>(images.size()), augment, 0, positions).to(device_))
      .to(torch::kCPU);
}

void Trainer::compute_ahead(const Dataset& data, const int32_t* order, int64_t begin, int64_t n, bool augment,
                            int batch_size, Ahead& ahead) {
  ahead.rows.clear();
  cache_.use(&data, static_cast<int64_t>(split_));
  std::unordered_set<int32_t> queued;  // an image that is not augmented is computed once however often it appears
  std::vector<int64_t> positions;
  // The window spans kAheadBatches batches, and grows a batch at a time (up to four times that) until what it must
  // compute fills whole batches: every batch size the prefix sees is a set of convolution primitives that oneDNN
  // creates and compiles on first use, so counts that change from window to window pay for that again and again.
  const int64_t least = std::min(n, begin + kAheadBatches * batch_size);
  const int64_t most = std::min(n, begin + 4 * kAheadBatches * batch_size);
  int64_t end = begin;
  while (end < n) {
    const int64_t batch_end = std::min(n, end + batch_size);
    for (int64_t p = end; p < batch_end; ++p) {
      const int32_t image = order[p];
      if (cacheable(data, image, augment) && (cache_.contains(image) || !queued.insert(image).second)) continue;
      positions.push_back(p);
    }
    end = batch_end;
    if (end >= most || (end >= least && positions.size() % static_cast<size_t>(batch_size) == 0)) break;
  }
  ahead.end = end;
  for (size_t first = 0; first < positions.size(); first += static_cast<size_t>(batch_size)) {
    const size_t count = std::min(positions.size() - first, static_cast<size_t>(batch_size));
    std::vector<int32_t> images(count);
    for (size_t j = 0; j < count; ++j) images[j] = order[positions[first + j]];
    const auto host = prefix_rows(data, images, positions.data() + first, augment);
    for (size_t j = 0; j < count; ++j) {
      const auto row = host[static_cast<int64_t>(j)];
      if (cacheable(data, images[j], augment)) cache_.put(images[j], row);
      ahead.rows.emplace(positions[first + j], row);
    }
  }
}

torch::Tensor Trainer::logits_of(const Dataset& data, const int32_t* order, int64_t n, int64_t start, int64_t len,
                                 bool augment, int batch_size, Ahead& ahead) {
  const int32_t* idx = order + start;
  if (split_ == 0) return net_->forward(prepare_batch(data, idx, len, augment, start).to(device_));
  if (!cache_.enabled()) {
    counters_.misses += len;
    return suffix(prefix(prepare_batch(data, idx, len, augment, start).to(device_)));
  }
  if (start >= ahead.end)
    compute_ahead(data, order, start, n, augment, batch_size, ahead);
  // Every row from the rows computed ahead, or from the cache; what neither has (a row the cache could not read back)
  // runs through the prefix here.
  std::vector<int64_t> shape = cache_.row_shape();
  if (shape.empty() && !ahead.rows.empty()) shape = ahead.rows.begin()->second.sizes().vec();
  torch::Tensor rows;  // [len, row...] on the CPU
  std::vector<int64_t> missing;
  if (shape.empty()) {
    for (int64_t i = 0; i < len; ++i) missing.push_back(i);
  } else {
    std::vector<int64_t> sizes{len};
    sizes.insert(sizes.end(), shape.begin(), shape.end());
    rows = torch::empty(sizes, torch::kFloat32);
    for (int64_t i = 0; i < len; ++i) {
      auto row = rows[i];
      if (const auto it = ahead.rows.find(start + i); it != ahead.rows.end()) {
        row.copy_(it->second);
      } else if (cache_.fetch(idx[i], row)) {
        ++counters_.hits;
      } else {
        missing.push_back(i);
      }
    }
  }
  if (!missing.empty()) {
    std::vector<int32_t> images;
    std::vector<int64_t> positions;
    for (const auto i : missing) {
      images.push_back(idx[i]);
      positions.push_back(start + i);
    }
    const auto computed = prefix_rows(data, images, positions.data(), augment);
    if (!rows.defined()) {
      auto sizes = computed.sizes().vec();
      sizes[0] = len;
      rows = torch::empty(sizes, torch::kFloat32);
    }
    rows.index_copy_(0, torch::tensor(missing, torch::kInt64), computed.contiguous());
  }
  auto h = rows.to(device_);
  // The layout the prefix itself hands on, so that the trainable part runs the same kernels either way.
  if (h.dim() == 4) h = h.contiguous(torch::MemoryFormat::ChannelsLast);
  return suffix(h);
}

void Trainer::set_lr(double lr) {
  if (!(lr > 0)) throw std::invalid_argument("learning rate must be positive");
  lr_ = lr;
  if (!optimizer_) return;
  auto& groups = optimizer_->param_groups();
  if (groups.size() == 1) {
    groups.front().options().set_lr(lr);
    return;
  }
  // make_optimizer's layout: the head, then groups 0 .. L-1.
  groups[0].options().set_lr(lr);
  for (int g = 0; g < group_count(); ++g) groups[g + 1].options().set_lr(group_lr(g));
}

double Trainer::group_lr(int group) const {
  const int deepest = trainable_.empty() ? group : trainable_.back();
  return group >= deepest ? lr_ : lr_ / std::pow(discriminative_, deepest - group);
}

void Trainer::set_discriminative(double discriminative) {
  if (!(discriminative >= 1) || !std::isfinite(discriminative))
    throw std::invalid_argument("the discriminative factor must be at least 1");
  const bool relayout = (discriminative == 1) != (discriminative_ == 1);
  discriminative_ = discriminative;
  if (relayout) reset_optimizer();
  set_lr(lr_);
}

std::unique_ptr<torch::optim::Optimizer> Trainer::make_optimizer() const {
  // All parameters are registered; frozen ones have no gradient and are skipped by step(). One parameter group
  // unless rates differ per group: then the head's, then one per backbone group.
  const int L = group_count();
  std::vector<std::vector<torch::Tensor>> by_group(discriminative_ == 1 ? 1 : L + 1);
  for (auto& e : entries_)
    if (!e.is_buffer) by_group[by_group.size() == 1 ? 0 : (e.group == L ? 0 : e.group + 1)].push_back(e.tensor);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (size_t i = 0; i < by_group.size(); ++i) {
    const double lr = i == 0 ? lr_ : group_lr(static_cast<int>(i) - 1);
    if (optimizer_kind_ == 0)
      groups.emplace_back(by_group[i], std::make_unique<torch::optim::AdamOptions>(lr));
    else
      groups.emplace_back(by_group[i], std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(lr).momentum(0.9)));
  }
  if (optimizer_kind_ == 0) return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(lr_));
  return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(lr_).momentum(0.9));
}

void Trainer::reset_optimizer() { optimizer_ = make_optimizer(); }

void Trainer::load_optimizer(torch::serialize::InputArchive& archive) {
  auto fresh = make_optimizer();
  fresh->load(archive);
  optimizer_ = std::move(fresh);
  lr_ = optimizer_->param_groups().front().options().get_lr();
}

void Trainer::set_mode(bool training) {
  net_->train(training);
  if (!training) return;
  // BatchNorm stays in eval mode (running statistics never updated), unless updates are on and its group trains.
  const int L = group_count();
  for (auto& [bn, group] : batchnorms_)
    if (!bn_updates_ || !(group == L || std::binary_search(trainable_.begin(), trainable_.end(), group))) bn->eval();
}

torch::Tensor Trainer::prepare_batch(const Dataset& data, const int32_t* idx, int64_t n, bool augment,
                                     int64_t first_position, const int64_t* positions) const {
  const auto images = data.gather_images(idx, n);
  std::vector<int32_t> labels;
  if (augment && input_.augments()) {
    labels.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = data.label(idx[i]);
  }
  const BatchKeys keys{idx, labels.data(), first_position, positions};
  // Gray to 3 channels at the input size, normalized as input_ says (by default with mean_/std_).
  return input_.to_input(images, input_size_, mean_, std_, labels.empty() ? nullptr : &keys)
      .contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor Trainer::class_weights(const float* weights, int num_weights) const {
  if (weights == nullptr) return torch::ones({num_classes_}, torch::TensorOptions().device(device_));
  if (num_weights != num_classes_)
    throw std::invalid_argument("class weights: got " + std::to_string(num_weights) + ", model has " +
                                std::to_string(num_classes_) + " classes");
  return torch::from_blob(const_cast<float*>(weights), {num_weights}, torch::kFloat32).clone().to(device_);
}

void Trainer::check_indices(const Dataset& data, const int32_t* idx, int64_t n) const {
  if (n < 0) throw std::invalid_argument("negative sample count");
  if (n > 0 && idx == nullptr) throw std::invalid_argument("sample indices are null");
  for (int64_t i = 0; i < n; ++i) {
    if (idx[i] < 0 || idx[i] >= data.count())
      throw std::out_of_range("sample index " + std::to_string(idx[i]) + " at position " + std::to_string(i) +
                              " is outside the dataset (" + std::to_string(data.count()) + " images)");
    if (data.label(idx[i]) >= num_classes_)
      throw std::out_of_range("label " + std::to_string(data.label(idx[i])) + " of image " + std::to_string(idx[i]) +
                              " is not below the number of classes " + std::to_string(num_classes_));
  }
}

// One pass over `idx` in batches: the cancel flag is checked before each batch, `step` gets the batch's images,
// their labels (on the device), the batch's offset and length, and returns the running loss to report after it.
template <typename Step>
void Trainer::for_each_batch(const Dataset& data, const int32_t* idx, int64_t n, int batch_size, const ProgressSink& sink,
                             Step&& step) {
  if (batch_size <= 0) throw std::invalid_argument("batch size must be positive");
  check_indices(data, idx, n);
  const int64_t batches = (n + batch_size - 1) / batch_size;
  for (int64_t b = 0; b < batches; ++b) {
    if (sink.cancelled()) throw Cancelled();
    const int64_t start = b * batch_size;
    const int64_t len = std::min<int64_t>(batch_size, n - start);
    const double running = step(idx + start, data.gather_labels(idx + start, len).to(device_), start, len);
    sink.report(b + 1, batches, running);
  }
}

double Trainer::train_epoch(const Dataset& data, const int32_t* order, int64_t n, const float* weights,
                            int num_weights, int batch_size, const ProgressSink& sink) {
  const auto w = class_weights(weights, num_weights);
  set_mode(true);
  // Accumulated as sum(w_y * loss) / sum(w_y): the weighted mean over the whole epoch.
  double loss_sum = 0, weight_sum = 0;
  Ahead ahead;
  for_each_batch(data, order, n, batch_size, sink, [&](const int32_t*, const torch::Tensor& y, int64_t start, int64_t len) {
    const auto logits = logits_of(data, order, n, start, len, true, batch_size, ahead);
    const auto loss = F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().weight(w));
    for (auto& e : entries_)
      if (!e.is_buffer) e.tensor.mutable_grad().reset();
    loss.backward();
    optimizer_->step();
    const double batch_weight = w.index_select(0, y).sum().item<double>();
    loss_sum += loss.item<double>() * batch_weight;
    weight_sum += batch_weight;
    return loss_sum / weight_sum;
  });
  for (auto& e : entries_)
    if (!e.is_buffer) e.tensor.mutable_grad().reset();
  set_mode(false);
  return weight_sum > 0 ? loss_sum / weight_sum : 0.0;
}

void Trainer::calibrate_batchnorm(const Dataset& data, const int32_t* idx, int64_t n, int batch_size,
                                  const ProgressSink& sink) {
  if (n <= 0) throw std::invalid_argument("batchnorm calibration needs at least one image");
  std::vector<std::shared_ptr<torch::nn::BatchNorm2dImpl>> layers;
  for (auto& m : net_->modules(false))
    if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(m)) layers.push_back(bn);
  for (auto& bn : layers) {
    bn->reset_running_stats();
    bn->options.momentum(kNoValue);  // cumulative moving average over all batches
    bn->train();
  }
  torch::NoGradGuard no_grad;
  for_each_batch(data, idx, n, batch_size, sink, [&](const int32_t* batch, const torch::Tensor&, int64_t start, int64_t len) {
    net_->forward(prepare_batch(data, batch, len, false, start).to(device_));
    return 0.0;
  });
  for (auto& bn : layers) bn->options.momentum(0.1);
  set_mode(false);
  invalidate_features();
}

void Trainer::evaluate(const Dataset& data, const int32_t* idx, int64_t n, const float* weights, int num_weights,
                       int batch_size, const ProgressSink& sink, EvalOutput& out) {
  const auto w = class_weights(weights, num_weights);
  set_mode(false);
  torch::NoGradGuard no_grad;
  double loss_sum = 0, weight_sum = 0;
  Ahead ahead;
  for_each_batch(data, idx, n, batch_size, sink, [&](const int32_t*, const torch::Tensor& y, int64_t start, int64_t len) {
    const auto logits = logits_of(data, idx, n, start, len, false, batch_size, ahead);
    const auto per_sample = F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kNone));
    const auto wy = w.index_select(0, y);
    loss_sum += (per_sample * wy).sum().item<double>();
    weight_sum += wy.sum().item<double>();
    if (out.predictions != nullptr) {
      const auto pred = logits.argmax(1).to(torch::kCPU, torch::kInt32).contiguous();
      std::memcpy(out.predictions + start, pred.data_ptr<int32_t>(), static_cast<size_t>(len) * sizeof(int32_t));
    }
    if (out.probabilities != nullptr) {
      const auto probs = torch::softmax(logits, 1).to(torch::kCPU).contiguous();
      std::memcpy(out.probabilities + start * num_classes_, probs.data_ptr<float>(),
                  static_cast<size_t>(len * num_classes_) * sizeof(float));
    }
    return loss_sum / weight_sum;
  });
  out.loss = weight_sum > 0 ? loss_sum / weight_sum : 0.0;
}

void Trainer::remember_best() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> copy;
  copy.reserve(entries_.size());
  for (auto& e : entries_) copy.push_back(e.tensor.detach().clone());
  best_ = std::move(copy);
}

void Trainer::restore_best() {
  if (best_.empty()) throw std::logic_error("restore_best: no best weights remembered yet");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < entries_.size(); ++i) entries_[i].tensor.copy_(best_[i]);
  invalidate_features();
}

torch::Tensor Trainer::eval_forward(const torch::Tensor& input, bool logits) {
  set_mode(false);
  torch::NoGradGuard no_grad;
  const auto x = input.to(device_).contiguous(torch::MemoryFormat::ChannelsLast);
  return (logits ? net_->forward(x) : net_->pooled(x)).to(torch::kCPU);
}

int Trainer::load_backbone(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "OTERAW01", 8) != 0) {
    // Not a raw tensor file: an imported weights file or a PyTorch state dict (state_dict.cpp).
    const auto weights = read_weights(arch_, *net_, path);
    torch::NoGradGuard no_grad;
    for (auto& e : entries_)
      if (auto it = weights.backbone.find(e.name); it != weights.backbone.end()) e.tensor.copy_(it->second);
    invalidate_features();
    return static_cast<int>(weights.backbone.size());
  }
  const int loaded = load_raw_backbone(in, path);
  invalidate_features();
  return loaded;
}

// Raw tensor file (raw_tensors.h).
int Trainer::load_raw_backbone(std::ifstream& in, const std::string& path) {
  std::map<std::string, const Entry*> by_name;
  for (auto& e : entries_)
    if (e.group < group_count()) by_name[e.name] = &e;
  std::set<std::string> loaded;
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : read_raw_tensors(in, path)) {
    const std::string key = net_->canonical_name(name);
    auto it = by_name.find(key);
    if (it == by_name.end())
      throw std::runtime_error("'" + path + "': tensor '" + name + "' is not a backbone tensor of " + arch_);
    auto& dst = it->second->tensor;
    if (dst.sizes() != t.sizes())
      throw std::runtime_error("'" + path + "': tensor '" + name + "' has shape " + c10::str(t.sizes()) +
                               ", the model expects " + c10::str(dst.sizes()));
    dst.copy_(t);
    loaded.insert(key);
  }
  for (auto& [name, e] : by_name) {
    const bool required = !e->is_buffer || is_bn_running_stat(name);
    if (required && loaded.count(name) == 0)
      throw std::runtime_error("'" + path + "' lacks backbone tensor '" + name + "'");
  }
  return static_cast<int>(loaded.size());
}

double Trainer::param_checksum(int group) const {
  if (group < 0 || group > group_count()) throw std::out_of_range("group out of range");
  double sum = 0;
  for (auto& e : entries_)
    if (!e.is_buffer && e.group == group) {
      const auto d = e.tensor.detach().to(torch::kFloat64);
      sum += d.sum().item<double>() + d.square().sum().item<double>();
    }
  return sum;
}

double Trainer::bn_stats_checksum(int group) const {
  if (group < 0 || group > group_count()) throw std::out_of_range("group out of range");
  double sum = 0;
  for (auto& e : entries_)
    if (e.is_buffer && e.group == group && is_bn_running_stat(e.name)) {
      const auto d = e.tensor.detach().to(torch::kFloat64);
      sum += d.sum().item<double>() + d.square().sum().item<double>();
    }
  return sum;
}

int64_t Trainer::trainable_count() const {
  int64_t n = 0;
  for (auto& e : entries_)
    if (!e.is_buffer && e.tensor.requires_grad()) n += e.tensor.numel();
  return n;
}

}  // namespace ote
