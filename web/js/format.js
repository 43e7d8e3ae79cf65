// How numbers, sizes and dates read on screen.

// A probability is shown to one decimal of a percent, but never rounded up to a certainty or down to nothing:
// a softmax's 0.99996 is not "100.0%" (and float32 may even store it as exactly 1).
export function percent(probability) {
  if (probability >= 0.9995) return "> 99.9%";
  if (probability > 0 && probability < 0.0005) return "< 0.1%";
  return `${(probability * 100).toFixed(1)}%`;
}

// Sizes in the binary units the API's limits are set in (10485760 bytes is "10 MB"), one decimal at most.
export function size(bytes) {
  const [value, unit] = bytes >= 1048576 ? [bytes / 1048576, "MB"] : [bytes / 1024, "kB"];
  const text = value >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${unit}`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}
