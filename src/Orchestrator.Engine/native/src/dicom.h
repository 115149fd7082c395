#pragma once
// DICOM decoding for ingest (DCMTK): uncompressed grayscale images, with the modality rescale applied.
#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>

namespace ote::ingest {

struct DicomPixels {
  enum class Outcome { Ok, Truncated, Unreadable, Unsupported } outcome = Outcome::Unreadable;
  cv::Mat values;          // CV_64F, rows x cols: stored value * RescaleSlope + RescaleIntercept
  bool inverted = false;   // MONOCHROME1: high values are dark
  bool has_window = false; // the first VOI window of (0028,1050) / (0028,1051)
  double center = 0, width = 0;
  int bits = 0;            // BitsStored
};

DicomPixels read_dicom(const uint8_t* data, size_t length);

// DICOM PS3.3 C.11.2.1.2.1 linear VOI window to [0, 255], rounded half up.
uint8_t dicom_window(double x, double center, double width);

}  // namespace ote::ingest
