// Detection post-processing (added by model_transform --add_postprocess) and sequence ops.
import { bool, enumOf, f64, f64Array, i64, i64Array, op, optional, tensor, variadic, weight } from '../../op-dsl.js';
import { detectionOutputShape, recurrentShapes, yoloDetectionShape } from '../shapes/misc.js';

/** TPU-MLIR's YoloVersionAttr, plus the versions newer releases post-process. */
const YOLO_VERSIONS = ['yolov3', 'yolov3_tiny', 'yolov3_spp', 'yolov4', 'yolov5', 'yolov7', 'yolov8', 'yolov11'] as const;

export const detectionOps = {
  YoloDetection: op({
    summary: 'YOLO box decoding and NMS over the detection heads',
    operands: { inputs: variadic(tensor()) },
    attrs: {
      net_input_h: i64(),
      net_input_w: i64(),
      nms_threshold: f64(),
      obj_threshold: f64(),
      keep_topk: i64(),
      anchors: f64Array(),
      version: enumOf(YOLO_VERSIONS),
      class_num: i64(80),
      num_boxes: i64(3),
      agnostic_nms: bool(false),
    },
    shape: yoloDetectionShape,
  }),
  DetectionOutput: op({
    summary: 'SSD box decoding and NMS over loc, conf and prior inputs',
    operands: { inputs: variadic(tensor()) },
    attrs: {
      num_classes: i64(),
      background_label_id: i64(0),
      nms_threshold: f64(),
      top_k: i64(),
      code_type: enumOf(['CORNER', 'CENTER_SIZE', 'CORNER_SIZE']),
      keep_top_k: i64(),
      confidence_threshold: f64(),
      share_location: bool(true),
      variance_encoded_in_target: f64(0),
      eta: f64(1),
    },
    shape: detectionOutputShape,
  }),
  LSTM: op({
    summary: 'LSTM over a sequence (ONNX layout)',
    operands: {
      input: tensor(),
      filter: weight(),
      recurrence: weight(),
      bias: optional(weight()),
      initial_h: optional(tensor()),
      initial_c: optional(tensor()),
      cont: optional(tensor()),
    },
    results: { Y: optional(tensor()), Y_h: optional(tensor()), Y_c: optional(tensor()) },
    attrs: { hidden_size: i64(), bidirectional: bool(), batch_first: bool(false) },
    shapes: recurrentShapes(2),
  }),
  GRU: op({
    summary: 'GRU over a sequence (ONNX layout)',
    operands: { input: tensor(), filter: weight(), recurrence: weight(), bias: optional(weight()), initial_h: optional(tensor()) },
    results: { Y: optional(tensor()), Y_h: optional(tensor()) },
    attrs: { hidden_size: i64(), bidirectional: bool(), linear_before_reset: bool(true), batch_first: bool(false) },
    shapes: recurrentShapes(1),
  }),
  Attention: op({
    summary: 'Multi-head attention block with Q/K/V/O projections and an optional mask',
    operands: {
      input: tensor(),
      keys: tensor(),
      values: tensor(),
      queries_weight: weight(),
      queries_bias: optional(weight()),
      keys_weight: weight(),
      keys_bias: optional(weight()),
      values_weight: weight(),
      values_bias: optional(weight()),
      out_weight: weight(),
      out_bias: optional(weight()),
      musk: optional(tensor()),
    },
    attrs: {
      scale: f64(),
      head: i64(),
      dim: i64(0),
      scale_param: f64Array([1]),
      zp_param: i64Array([0]),
      has_bias: i64(0),
    },
  }),
} as const;
