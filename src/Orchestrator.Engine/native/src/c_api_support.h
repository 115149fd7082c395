#pragma once
// Shared by the C API files: the handle types, and the error convention of every ote_ entry point: a body runs
// through guard(), no exception crosses the ABI, and the last failure's message is kept per thread for ote_last_error().
#include <c10/util/Exception.h>

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

namespace ote {
namespace capi {

inline thread_local std::string last_error;

inline int32_t fail(const std::string& message) {
  last_error = message;
  return OTE_ERROR;
}

template <typename F>
int32_t guard(F&& body) {
  try {
    body();
    return OTE_OK;
  } catch (const Cancelled&) {
    last_error = "cancelled";
    return OTE_CANCELLED;
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

}  // namespace capi
}  // namespace ote
