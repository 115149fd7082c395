#pragma once
// The few spellings that differ between the libtorch releases the engine builds against (Debian's 1.13 and the 2.x
// archives of GPU boxes). Everything else in the engine uses API both share.
#include <torch/torch.h>
#include <torch/version.h>

namespace ote {

// An empty optional argument: c10::optional was its own type before 2.x and is std::optional since.
#if TORCH_VERSION_MAJOR >= 2
inline constexpr auto kNoValue = std::nullopt;
#else
inline constexpr auto kNoValue = c10::nullopt;
#endif

}  // namespace ote
