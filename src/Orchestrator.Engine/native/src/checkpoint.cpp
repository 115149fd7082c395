#include <ATen/CPUGeneratorImpl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "engine.h"
#include "error_text.h"
#include "state_dict.h"

namespace ote {

namespace {

constexpr const char* kCheckpointFormat = "orchestrator-engine-checkpoint";
constexpr const char* kBestFormat = "orchestrator-engine-best";
constexpr int64_t kVersion = 1;

std::string key_of(const std::string& name) {
  // Archive keys become TorchScript attribute names, which must not contain '.'.
  std::string k = name;
  for (auto& c : k)
    if (c == '.') c = '$';
  return k;
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(errno_text("cannot write", path));
    }
    done += static_cast<size_t>(w);
  }
}

}  // namespace

void write_atomically(const std::string& path, std::string_view bytes, Durability durability) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(errno_text("cannot create", tmp));
  try {
    write_all(fd, bytes, tmp);
    if (durability == Durability::Synced && ::fsync(fd) != 0) throw std::runtime_error(errno_text("cannot fsync", tmp));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) throw std::runtime_error(errno_text("cannot close", tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string msg = errno_text("cannot rename '" + tmp + "' to", path);
    ::unlink(tmp.c_str());
    throw std::runtime_error(msg);
  }
  if (durability == Durability::CallerSyncs) return;
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throw std::runtime_error(errno_text("cannot open directory", dir));
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) throw std::runtime_error(errno_text("cannot fsync directory", dir));
}

namespace {

std::string serialize(torch::serialize::OutputArchive& archive) {
  std::string bytes;
  archive.save_to([&](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  return bytes;
}

void write_header(torch::serialize::OutputArchive& a, const Trainer& t, const char* format) {
  a.write("format", c10::IValue(std::string(format)));
  a.write("version", c10::IValue(kVersion));
  a.write("arch", c10::IValue(t.arch()));
  a.write("num_classes", c10::IValue(static_cast<int64_t>(t.num_classes())));
}

// CPU copies, so that a file written on a GPU box loads on any other (and back, see open_archive).
void write_tensors(torch::serialize::OutputArchive& model, const Trainer& t, const std::vector<torch::Tensor>& tensors) {
  const auto& entries = t.entries();
  for (size_t i = 0; i < entries.size(); ++i)
    model.write(key_of(entries[i].name), tensors[i].to(torch::kCPU), entries[i].is_buffer);
}

// Every tensor of the file (weights and optimizer state, whatever device wrote them) lands on `device`.
void open_archive(torch::serialize::InputArchive& a, const std::string& path, torch::Device device) {
  if (::access(path.c_str(), R_OK) != 0) throw std::runtime_error(errno_text("cannot read", path));
  try {
    a.load_from(path, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error("'" + path + "' is not a readable engine file (truncated or corrupt): " +
                             first_line(e.what_without_backtrace()));
  }
}

c10::IValue read_value(torch::serialize::InputArchive& a, const std::string& key, const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v)) throw std::runtime_error("'" + path + "' lacks '" + key + "'");
  return v;
}

void check_header(torch::serialize::InputArchive& a, const Trainer& t, const char* format, const std::string& path) {
  const auto fmt = read_value(a, "format", path);
  if (!fmt.isString()) throw std::runtime_error("'" + path + "' has no format tag");
  if (fmt.toStringRef() != format)
    throw std::runtime_error("'" + path + "' is a " + fmt.toStringRef() + " file, expected " + format);
  const auto version = read_value(a, "version", path).toInt();
  if (version != kVersion)
    throw std::runtime_error("'" + path + "' has unsupported version " + std::to_string(version));
  const auto arch = read_value(a, "arch", path).toStringRef();
  if (arch != t.arch())
    throw std::runtime_error("'" + path + "' holds a " + arch + " model, this trainer is " + t.arch());
  const auto classes = read_value(a, "num_classes", path).toInt();
  if (classes != t.num_classes())
    throw std::runtime_error("'" + path + "' has " + std::to_string(classes) + " classes, this trainer has " +
                             std::to_string(t.num_classes()));
}

// Reads every tensor of the model, verifying names and shapes, before anything is overwritten.
std::vector<torch::Tensor> read_tensors(torch::serialize::InputArchive& a, const Trainer& t, const std::string& path) {
  torch::serialize::InputArchive model;
  if (!a.try_read("model", model)) throw std::runtime_error("'" + path + "' lacks the model tensors");
  std::vector<torch::Tensor> out;
  for (const auto& e : t.entries()) {
    torch::Tensor v;
    if (!model.try_read(key_of(e.name), v, e.is_buffer))
      throw std::runtime_error("'" + path + "' lacks tensor '" + e.name + "'");
    if (v.sizes() != e.tensor.sizes() || v.scalar_type() != e.tensor.scalar_type())
      throw std::runtime_error("'" + path + "': tensor '" + e.name + "' has shape " + c10::str(v.sizes()) +
                               ", the model expects " + c10::str(e.tensor.sizes()));
    out.push_back(v);
  }
  return out;
}

}  // namespace

void save_checkpoint(Trainer& t, const std::string& path, int epoch) {
  write_atomically(path, checkpoint_bytes(t, epoch), Durability::CallerSyncs);
}

std::string checkpoint_bytes(Trainer& t, int epoch) {
  torch::serialize::OutputArchive a;
  write_header(a, t, kCheckpointFormat);
  a.write("epoch", c10::IValue(static_cast<int64_t>(epoch)));
  a.write("optimizer_kind", c10::IValue(static_cast<int64_t>(t.optimizer_kind())));
  a.write("unfrozen", c10::IValue(static_cast<int64_t>(t.unfrozen())));
  a.write("lr", c10::IValue(t.lr()));
  // Written only where they differ from what older files mean: the deepest `unfrozen` groups, one rate.
  const auto& groups = t.trainable_groups();
  if (!groups.empty() && groups.front() != t.group_count() - static_cast<int>(groups.size()))
    a.write("trainable", c10::IValue(std::vector<int64_t>(groups.begin(), groups.end())));
  if (t.discriminative() != 1) a.write("discriminative", c10::IValue(t.discriminative()));
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle sharing the default generator
    std::lock_guard<std::mutex> lock(gen.mutex());
    a.write("rng", gen.get_state());
  }
  torch::serialize::OutputArchive model;
  std::vector<torch::Tensor> live;
  for (const auto& e : t.entries()) live.push_back(e.tensor.detach());
  write_tensors(model, t, live);
  a.write("model", model);
  torch::serialize::OutputArchive opt;
  t.optimizer().save(opt);
  a.write("optimizer", opt);
  return serialize(a);
}

int load_checkpoint(Trainer& t, const std::string& path) {
  torch::serialize::InputArchive a;
  open_archive(a, path, t.device());
  try {
    check_header(a, t, kCheckpointFormat, path);
    const auto kind = read_value(a, "optimizer_kind", path).toInt();
    if (kind != t.optimizer_kind())
      throw std::runtime_error("'" + path + "' was written with optimizer " + std::to_string(kind) +
                               ", this trainer uses " + std::to_string(t.optimizer_kind()));
    const auto epoch = read_value(a, "epoch", path).toInt();
    const auto unfrozen = read_value(a, "unfrozen", path).toInt();
    if (unfrozen < 0 || unfrozen > t.group_count())
      throw std::runtime_error("'" + path + "' has " + std::to_string(unfrozen) + " unfrozen groups, the model has " +
                               std::to_string(t.group_count()));
    const auto lr = read_value(a, "lr", path).toDouble();
    c10::IValue trainable, discriminative;
    const bool named_groups = a.try_read("trainable", trainable);
    if (named_groups && trainable.toIntVector().size() != static_cast<size_t>(unfrozen))
      throw std::runtime_error("'" + path + "' names " + std::to_string(trainable.toIntVector().size()) +
                               " trainable groups but counts " + std::to_string(unfrozen));
    // The optimizer's parameter groups follow the discriminative factor: set it before its state is read.
    t.set_discriminative(a.try_read("discriminative", discriminative) ? discriminative.toDouble() : 1.0);
    torch::Tensor rng;
    if (!a.try_read("rng", rng)) throw std::runtime_error("'" + path + "' lacks the RNG state");
    const auto tensors = read_tensors(a, t, path);
    torch::serialize::InputArchive opt;
    if (!a.try_read("optimizer", opt)) throw std::runtime_error("'" + path + "' lacks the optimizer state");

    // Everything that can fail is done above or here, before the live weights change.
    t.load_optimizer(opt);
    {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(rng);
    }
    {
      torch::NoGradGuard no_grad;
      const auto& entries = t.entries();
      for (size_t i = 0; i < entries.size(); ++i) entries[i].tensor.copy_(tensors[i]);
    }
    if (named_groups) {
      const auto groups = trainable.toIntVector();
      t.set_trainable_groups(std::vector<int>(groups.begin(), groups.end()));
    } else {
      t.set_trainable(static_cast<int>(unfrozen));
    }
    t.set_lr(lr);
    t.invalidate_features();
    return static_cast<int>(epoch);
  } catch (const c10::Error& e) {
    throw std::runtime_error("'" + path + "' is malformed: " + first_line(e.what_without_backtrace()));
  }
}

void save_best(Trainer& t, const std::string& path) {
  write_atomically(path, best_bytes(t), Durability::CallerSyncs);
}

std::string best_bytes(Trainer& t) {
  if (!t.has_best()) throw std::logic_error("save_best: no best weights remembered yet");
  torch::serialize::OutputArchive a;
  write_header(a, t, kBestFormat);
  torch::serialize::OutputArchive model;
  write_tensors(model, t, t.best());
  a.write("model", model);
  return serialize(a);
}

void load_best(Trainer& t, const std::string& path) {
  torch::serialize::InputArchive a;
  open_archive(a, path, t.device());
  try {
    check_header(a, t, kBestFormat, path);
    auto tensors = read_tensors(a, t, path);
    for (auto& v : tensors) v = v.detach().clone();
    t.best() = std::move(tensors);
  } catch (const c10::Error& e) {
    throw std::runtime_error("'" + path + "' is malformed: " + first_line(e.what_without_backtrace()));
  }
}

}  // namespace ote
