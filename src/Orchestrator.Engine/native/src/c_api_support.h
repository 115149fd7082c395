#pragma once
// Shared by the c_api*.cpp files: the dataset and trainer handle types, and guard(): every C entry point runs its body
// through it, so no exception crosses the ABI.
#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "engine.h"
#include "orchestrator_engine.h"

struct ote_dataset {
  std::unique_ptr<ote::Dataset> impl;
};
struct ote_trainer {
  std::unique_ptr<ote::Trainer> impl;
};
struct ote_bytes {
  std::string value;
};

namespace ote::capi {

// The message ote_last_error() returns, per thread.
std::string& last_error();

inline int32_t fail(const std::string& message) {
  last_error() = message;
  return OTE_ERROR;
}

template <typename F>
int32_t guard(F&& body) {
  try {
    body();
    return OTE_OK;
  } catch (const ote::Cancelled&) {
    last_error() = "cancelled";
    return OTE_CANCELLED;
  } catch (const std::invalid_argument& e) {
    last_error() = e.what();
    return OTE_INVALID_INPUT;
  } catch (const c10::Error& e) {
    return fail(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown native error");
  }
}

template <typename T>
T& deref(T* p, const char* what) {
  if (p == nullptr) throw std::invalid_argument(std::string(what) + " handle is null");
  return *p;
}

inline void require(const void* p, const char* what) {
  if (p == nullptr) throw std::invalid_argument(std::string(what) + " is null");
}

}  // namespace ote::capi
