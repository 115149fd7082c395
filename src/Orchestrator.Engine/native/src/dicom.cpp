#include "dicom.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/oflog/oflog.h>

#include <cmath>
#include <mutex>

namespace ote::ingest {

uint8_t dicom_window(double x, double center, double width) {
  if (width < 1) width = 1;
  const double lo = center - 0.5 - (width - 1) / 2, hi = center - 0.5 + (width - 1) / 2;
  if (x <= lo) return 0;
  if (x > hi) return 255;
  const double y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255.0;
  return static_cast<uint8_t>(std::min(255.0, std::floor(y + 0.5)));
}

namespace {

// Stored values (two's complement when PixelRepresentation is 1) times slope plus intercept; false when short.
template <typename Stored, typename Signed>
bool modality_values(const Stored* px, unsigned long n, size_t count, bool is_signed, double slope, double intercept,
                     double* v) {
  if (n < count) return false;
  for (size_t i = 0; i < count; ++i)
    v[i] = (is_signed ? static_cast<double>(static_cast<Signed>(px[i])) : static_cast<double>(px[i])) * slope + intercept;
  return true;
}

}  // namespace

DicomPixels read_dicom(const uint8_t* data, size_t length) {
  // DCMTK logs warnings and errors to stderr; a rejected file is reported through QC instead.
  static std::once_flag quiet;
  std::call_once(quiet, [] { OFLog::configure(OFLogger::FATAL_LOG_LEVEL); });
  DicomPixels out;
  DcmInputBufferStream stream;
  stream.setBuffer(data, static_cast<offile_off_t>(length));
  stream.setEos();
  DcmFileFormat file;
  file.transferInit();
  const OFCondition read = file.read(stream, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
  file.transferEnd();
  if (read.bad()) {
    // A buffer that ends inside an element reads as an invalid stream (or a suspended one): the file is cut off.
    const bool cut = read == EC_InvalidStream || read == EC_StreamNotifyClient;
    out.outcome = cut ? DicomPixels::Outcome::Truncated : DicomPixels::Outcome::Unreadable;
    return out;
  }
  DcmDataset* ds = file.getDataset();
  // Compressed transfer syntaxes would need DCMTK's codecs registered; they are reported unsupported instead.
  if (ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit)) {
    out.outcome = DicomPixels::Outcome::Unsupported;
    return out;
  }
  Uint16 rows = 0, cols = 0, samples = 1, allocated = 0, stored = 0, representation = 0;
  OFString photometric;
  if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, cols).bad() ||
      ds->findAndGetUint16(DCM_BitsAllocated, allocated).bad() || rows == 0 || cols == 0)
    return out;
  ds->findAndGetUint16(DCM_SamplesPerPixel, samples);
  ds->findAndGetUint16(DCM_BitsStored, stored);
  ds->findAndGetUint16(DCM_PixelRepresentation, representation);
  ds->findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  if (samples != 1 || (photometric != "MONOCHROME1" && photometric != "MONOCHROME2") ||
      (allocated != 8 && allocated != 16)) {
    out.outcome = DicomPixels::Outcome::Unsupported;
    return out;
  }
  Float64 slope = 1, intercept = 0;
  ds->findAndGetFloat64(DCM_RescaleSlope, slope);
  ds->findAndGetFloat64(DCM_RescaleIntercept, intercept);
  out.has_window = ds->findAndGetFloat64(DCM_WindowCenter, out.center).good() &&
                   ds->findAndGetFloat64(DCM_WindowWidth, out.width).good() && out.width >= 1;
  out.inverted = photometric == "MONOCHROME1";
  out.bits = stored != 0 ? stored : allocated;

  const size_t count = static_cast<size_t>(rows) * cols;
  out.values.create(rows, cols, CV_64F);
  auto* v = out.values.ptr<double>();
  const bool is_signed = representation == 1;
  unsigned long n = 0;
  bool complete = false;
  if (allocated == 16) {
    const Uint16* px = nullptr;
    if (ds->findAndGetUint16Array(DCM_PixelData, px, &n).bad() || px == nullptr) return out;
    complete = modality_values<Uint16, int16_t>(px, n, count, is_signed, slope, intercept, v);
  } else {
    const Uint8* px = nullptr;
    if (ds->findAndGetUint8Array(DCM_PixelData, px, &n).bad() || px == nullptr) return out;
    complete = modality_values<Uint8, int8_t>(px, n, count, is_signed, slope, intercept, v);
  }
  if (!complete) return out.outcome = DicomPixels::Outcome::Truncated, out;
  out.outcome = DicomPixels::Outcome::Ok;
  return out;
}

}  // namespace ote::ingest
