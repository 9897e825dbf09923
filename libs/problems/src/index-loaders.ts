// Exports of the loaders area: gzipped IDX (Fashion-MNIST), LIBSVM text, and their bounded gunzip.
export { parseIdx, loadIdx, IDX_DEFAULT_MAX_BYTES, IDX_UBYTE } from './loaders/idx-gz';
export type { IdxArray, IdxOptions } from './loaders/idx-gz';
export { encodeIdx } from './loaders/encode-idx';
export { labelledIdx, loadLabelledIdx } from './loaders/labelled-idx';
export type { LabelledImages, LabelledIdxOptions } from './loaders/labelled-idx';
export { loadFashionMnist, FASHION_MNIST_CLASSES } from './loaders/fashion-mnist';
export type { FashionMnistOptions } from './loaders/fashion-mnist';
export { imagesToDataset } from './loaders/images-to-dataset';
export { gunzipBounded, gunzipHead, isGzip, DEFLATE_MAX_RATIO } from './loaders/gunzip-bounded';
export type { GunzipBoundedOptions } from './loaders/gunzip-bounded';
export { readDataFile } from './loaders/read-data-file';
export { parseLibsvm, loadLibsvm, LIBSVM_DEFAULT_MAX_BYTES } from './loaders/libsvm';
export type { LibsvmOptions, LoadLibsvmOptions } from './loaders/libsvm';
export { formatLibsvm } from './loaders/format-libsvm';
export { parseDecimal } from './loaders/parse-decimal';
export { loadDataFile, DATA_FILE_FORMATS } from './loaders/load-data-file';
export type { DataFileFormat, DataFileOptions } from './loaders/load-data-file';
