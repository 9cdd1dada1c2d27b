#!/usr/bin/env bash
# model_transform on every shared ONNX model with the preprocessing its assets README gives,
# each verified tensor by tensor against onnxruntime-node. Usage: transform-shared-models.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
A="${TPUQ_ASSETS:-../shared/assets}"
OUT="${1:-demo-out/shared-models}"
mkdir -p "$OUT"
run() { echo "== $1"; pnpm -s tpu-quant model_transform --model_name "$1" --mlir "$OUT/$1.mlir" --test_result "$OUT/$1_top_outputs.npz" "${@:2}" | tail -3; }

run mobilenet_v2 --model_def "$A/models/imagenet/mobilenet_v2_1.0_224.tf2ptq-dequant.onnx" --input_shapes '[[1,3,224,224]]' \
  --resize_dims 256,256 --mean 127,127,127 --scale 0.007843137718737125,0.007843137718737125,0.007843137718737125 \
  --pixel_format rgb --test_input "$A/images/imagenet-val/$(ls "$A/images/imagenet-val" | grep -i jpeg | head -1)"
run mobilenet_v1 --model_def "$A/models/imagenet/mobilenet_v1_0.25_128.qat-dequant.onnx" --input_shapes '[[1,3,128,128]]' \
  --resize_dims 146,146 --mean 128,128,128 --scale 0.0078125,0.0078125,0.0078125 --pixel_format rgb --test_input "$A/images/skimage/coffee.png"
run yolox_nano --model_def "$A/models/detection/yolox_nano_416.onnx" --input_shapes '[[1,3,416,416]]' \
  --keep_aspect_ratio --pad_type normal --pad_value 114 --pixel_format bgr --test_input "$A/images/darknet/dog.jpg"
run fastestdet --model_def "$A/models/detection/FastestDet_352.onnx" --input_shapes '[[1,3,352,352]]' \
  --scale 0.00392156862745098,0.00392156862745098,0.00392156862745098 --pixel_format bgr --test_input "$A/images/darknet/horses.jpg"
run ultraface --model_def "$A/models/detection/ultraface_version-RFB-320.onnx" --input_shapes '[[1,3,240,320]]' \
  --mean 127,127,127 --scale 0.0078125,0.0078125,0.0078125 --pixel_format rgb --test_input "$A/images/faces/$(ls "$A/images/faces" | head -1)"
# The detector's output is a text-probability map: on a photo without text it is ~1e-30 everywhere and
# cosine similarity of such a tensor is noise (f32 rounding of tiny values), in TPU-MLIR as here. So
# the verification input is the stored reference input, a page with text (already preprocessed).
run ppocrv4_det --model_def "$A/models/ocr/ch_PP-OCRv4_det_infer.onnx" --input_shapes '[[1,3,480,480]]' \
  --mean 123.675,116.28,103.53 --scale 0.017124753831663668,0.01750700280112045,0.017429193899782137 --pixel_format bgr \
  --test_input "$A/reference-outputs/ppocrv4_det/input.npy"
run ppocr_cls --model_def "$A/models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" --input_shapes '[[1,3,48,192]]' \
  --mean 127.5,127.5,127.5 --scale 0.00784313725490196,0.00784313725490196,0.00784313725490196 --pixel_format bgr \
  --test_input "$A/images/skimage/rocket.jpg"
run tiny_yolo --model_def "$A/models/torch-random/tiny_yolo.onnx" --channel_format none --test_input "$A/models/torch-random/tiny_yolo.input.npy"
run tiny_vit --model_def "$A/models/torch-random/tiny_vit.onnx" --channel_format none --test_input "$A/models/torch-random/tiny_vit.input.npy"
