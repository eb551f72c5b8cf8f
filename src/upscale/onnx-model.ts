/**
 * The ESRGAN packages' Keras models (tfjs layers format) rewritten as ONNX, in memory, so the
 * native ONNX Runtime can run the same weights. Only the layers these models use are known:
 * Conv2D, Activation (relu, linear), Concatenate, Add and nearest UpSampling2D; anything else is
 * an error, and the upscaler falls back to tfjs.
 *
 * The graph takes and gives NHWC (the tfjs model's layout, which the tiler works in) and runs
 * NCHW inside, which is what ONNX convolutions are defined over.
 *
 * One rewrite: a nearest 4x upsample followed by a 3x3 convolution becomes one low-resolution
 * convolution with 16x the output channels and a pixel shuffle (DepthToSpace). Every output pixel
 * of the original reads at most 2x2 distinct input pixels, so summing the kernel taps that land on
 * the same input pixel gives the same sums without building the 16x larger tensor in between.
 */
import type { io } from '@tensorflow/tfjs';

interface KerasLayer {
  class_name: string;
  config: {
    name: string;
    filters?: number;
    kernel_size?: [number, number];
    strides?: [number, number];
    padding?: string;
    dilation_rate?: [number, number];
    groups?: number;
    activation?: string;
    use_bias?: boolean;
    axis?: number;
    size?: [number, number];
    interpolation?: string;
  };
  inbound_nodes: [string, number, number, unknown][][];
}

interface Topology {
  model_config: { class_name: string; config: { layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] } };
}

// --- protobuf, the little of it ONNX needs -------------------------------------------------

/** Serialises protobuf messages: fields are appended in order; nested messages are writers. */
class Message {
  private readonly parts: Uint8Array[] = [];

  private varint(value: number): void {
    const bytes: number[] = [];
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      bytes.push(v ? byte | 0x80 : byte);
    } while (v);
    this.parts.push(Uint8Array.from(bytes));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.parts.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array | string | Message): this {
    const data = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Message ? value.finish() : value;
    this.key(field, 2);
    this.varint(data.byteLength);
    this.parts.push(data);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}

// Field numbers and enums from onnx/onnx.proto.
const FLOAT = 1;
const INT64 = 7;
const ATTR = { INT: 2, STRING: 3, INTS: 7 } as const;

type Attribute = number | string | number[];

function attribute(name: string, value: Attribute): Message {
  const a = new Message().bytes(1, name);
  if (typeof value === 'number') return a.int(3, value).int(20, ATTR.INT);
  if (typeof value === 'string') return a.bytes(4, value).int(20, ATTR.STRING);
  for (const v of value) a.int(8, v);
  return a.int(20, ATTR.INTS);
}

function node(op: string, inputs: string[], outputs: string[], attributes: Record<string, Attribute> = {}): Message {
  const n = new Message();
  for (const input of inputs) n.bytes(1, input);
  for (const output of outputs) n.bytes(2, output);
  n.bytes(3, outputs[0]!).bytes(4, op);
  for (const [name, value] of Object.entries(attributes)) n.bytes(5, attribute(name, value));
  return n;
}

function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): Message {
  const t = new Message();
  for (const d of dims) t.int(1, d);
  t.int(2, data instanceof Float32Array ? FLOAT : INT64).bytes(8, name);
  return t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** A float32 NHWC value with unknown batch, height and width and `channels` channels. */
function valueInfo(name: string, channels: number): Message {
  const shape = new Message();
  for (const dim of ['batch', 'height', 'width']) shape.bytes(1, new Message().bytes(2, `${name}_${dim}`));
  shape.bytes(1, new Message().int(1, channels));
  return new Message().bytes(1, name).bytes(2, new Message().bytes(1, new Message().int(1, FLOAT).bytes(2, shape)));
}

// --- the conversion -------------------------------------------------------------------------

/** Keras HWIO kernel to ONNX OIHW. */
function toOIHW(kernel: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = kernel[((y * kw + x) * cin + i) * cout + o]!;
  return out;
}

/**
 * Fold "nearest upsample by s, then a k x k 'same' convolution" (OIHW weights) into a k x k
 * convolution at low resolution with cout*s*s outputs, ordered for DepthToSpace's DCR mode
 * (channel = (dy*s + dx)*cout + o). High-res tap (ry, rx) of sub-pixel (dy, dx) reads low-res
 * offset floor((dy + ry - k/2) / s), which stays within the k x k window for s >= 2.
 */
function foldUpsample(weight: Float32Array, cout: number, cin: number, k: number, s: number): Float32Array {
  const half = (k - 1) / 2;
  const out = new Float32Array(s * s * cout * cin * k * k);
  for (let dy = 0; dy < s; dy++)
    for (let dx = 0; dx < s; dx++)
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++)
          for (let ry = 0; ry < k; ry++)
            for (let rx = 0; rx < k; rx++) {
              const ly = Math.floor((dy + ry - half) / s) + half;
              const lx = Math.floor((dx + rx - half) / s) + half;
              const at = ((((dy * s + dx) * cout + o) * cin + i) * k + ly) * k + lx;
              out[at] = out[at]! + weight[((o * cin + i) * k + ry) * k + rx]!;
            }
  return out;
}

export interface KerasModelArtifacts {
  modelTopology: unknown;
  weightSpecs: io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** The ONNX model bytes for a tfjs layers model made of the layers above. */
export function kerasToOnnx(artifacts: KerasModelArtifacts): Uint8Array {
  const topology = artifacts.modelTopology as Topology;
  const { layers, input_layers, output_layers } = topology.model_config.config;
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const spec of artifacts.weightSpecs) {
    if (spec.dtype !== 'float32' || spec.quantization) throw new Error(`weight ${spec.name}: only unquantised float32 weights are supported`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    weights.set(spec.name, { shape: spec.shape, data: new Float32Array(artifacts.weightData.slice(offset, offset + count * 4)) });
    offset += count * 4;
  }
  const weight = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`the model has no weight ${name}`);
    return w;
  };

  const graph = new Message().bytes(2, 'esrgan');
  const initializers: Message[] = [];
  const byName = new Map(layers.map((l) => [l.config.name, l]));
  const consumers = new Map<string, KerasLayer[]>();
  for (const layer of layers) for (const [from] of layer.inbound_nodes[0] ?? []) consumers.set(from, [...(consumers.get(from) ?? []), layer]);
  const folded = new Set<string>();

  function conv(layer: KerasLayer, input: string, output: string, upsample = 1): void {
    const { filters, kernel_size: [kh, kw] = [1, 1], strides = [1, 1], dilation_rate = [1, 1], groups = 1, padding, activation, use_bias } = layer.config;
    const name = layer.config.name;
    // 'valid' only matters beyond 1x1; 'same' with an odd kernel pads (k-1)/2 on each side.
    const same = padding === 'same' || (kh === 1 && kw === 1);
    if (!same || kh % 2 === 0 || kw % 2 === 0 || strides.some((s) => s !== 1) || dilation_rate.some((d) => d !== 1) || groups !== 1) {
      throw new Error(`layer ${name}: only odd-sized, stride 1, 'same' convolutions are supported`);
    }
    const kernel = weight(`${name}/kernel`);
    const cin = kernel.shape[2]!;
    let w = toOIHW(kernel.data, kernel.shape);
    let bias = use_bias ? weight(`${name}/bias`).data : new Float32Array(filters!);
    let cout = filters!;
    if (upsample > 1) {
      if (kh !== kw) throw new Error(`layer ${name}: an upsample can only be folded into a square kernel`);
      w = foldUpsample(w, cout, cin, kh, upsample);
      const tiled = new Float32Array(cout * upsample * upsample);
      for (let i = 0; i < tiled.length; i++) tiled[i] = bias[i % cout]!;
      bias = tiled;
      cout *= upsample * upsample;
    }
    initializers.push(tensor(`${name}/W`, [cout, cin, kh, kw], w), tensor(`${name}/B`, [cout], bias));
    const convOut = upsample > 1 || activation === 'relu' ? `${name}/conv` : output;
    graph.bytes(1, node('Conv', [input, `${name}/W`, `${name}/B`], [convOut], { kernel_shape: [kh, kw], pads: [kh >> 1, kw >> 1, kh >> 1, kw >> 1] }));
    let last = convOut;
    if (upsample > 1) {
      last = activation === 'relu' ? `${name}/shuffled` : output;
      graph.bytes(1, node('DepthToSpace', [convOut], [last], { blocksize: upsample, mode: 'DCR' }));
    }
    if (activation === 'relu') graph.bytes(1, node('Relu', [last], [output]));
    else if (activation !== 'linear') throw new Error(`layer ${name}: activation ${activation} is not supported`);
  }

  for (const layer of layers) {
    const name = layer.config.name;
    const inputs = (layer.inbound_nodes[0] ?? []).map(([from]) => from);
    if (folded.has(name)) continue;
    switch (layer.class_name) {
      case 'InputLayer':
        graph.bytes(11, valueInfo(`${name}_nhwc`, 3));
        graph.bytes(1, node('Transpose', [`${name}_nhwc`], [name], { perm: [0, 3, 1, 2] }));
        break;
      case 'Conv2D':
        conv(layer, inputs[0]!, name);
        break;
      case 'Activation':
        if (layer.config.activation === 'relu') graph.bytes(1, node('Relu', inputs, [name]));
        else if (layer.config.activation === 'linear') graph.bytes(1, node('Identity', inputs, [name]));
        else throw new Error(`layer ${name}: activation ${layer.config.activation} is not supported`);
        break;
      case 'Concatenate':
        if (layer.config.axis !== 3 && layer.config.axis !== -1) throw new Error(`layer ${name}: only channel concatenation is supported`);
        graph.bytes(1, node('Concat', inputs, [name], { axis: 1 }));
        break;
      case 'Add':
        graph.bytes(1, node('Sum', inputs, [name]));
        break;
      case 'UpSampling2D': {
        const [sy, sx] = layer.config.size ?? [2, 2];
        if (sy !== sx || (layer.config.interpolation ?? 'nearest') !== 'nearest') throw new Error(`layer ${name}: only square nearest upsampling is supported`);
        const next = consumers.get(name) ?? [];
        const into = next.length === 1 && next[0]!.class_name === 'Conv2D' ? next[0]! : undefined;
        if (into && into.config.kernel_size?.[0] === into.config.kernel_size?.[1] && (into.config.kernel_size?.[0] ?? 0) <= 2 * sy + 1) {
          conv(into, inputs[0]!, into.config.name, sy);
          folded.add(into.config.name);
        } else {
          initializers.push(tensor(`${name}/scales`, [4], new Float32Array([1, 1, sy, sx])));
          graph.bytes(1, node('Resize', [inputs[0]!, '', `${name}/scales`], [name], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }));
        }
        break;
      }
      default:
        throw new Error(`layer ${name}: ${layer.class_name} layers are not supported`);
    }
  }
  for (const [name] of output_layers) {
    const out = byName.get(name);
    graph.bytes(1, node('Transpose', [name], [`${name}_nhwc`], { perm: [0, 2, 3, 1] }));
    graph.bytes(12, valueInfo(`${name}_nhwc`, out?.config.filters ?? 3));
  }
  if (input_layers.length !== 1 || output_layers.length !== 1) throw new Error('only models with one input and one output are supported');
  for (const init of initializers) graph.bytes(5, init);
  return new Message()
    .int(1, 8) // IR version 8 (ONNX 1.13+)
    .bytes(2, 'koder-imaging')
    .bytes(7, graph)
    .bytes(8, new Message().bytes(1, '').int(2, 17))
    .finish();
}
