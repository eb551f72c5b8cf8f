/**
 * A fake of A1111's POST /sdapi/v1/extra-single-image on 127.0.0.1, faithful to what the client
 * relies on (backends.md 2.5, A1111 api.py and scripts/postprocessing_upscale.py):
 * - `resize_mode` 0 scales by `upscaling_resize` (int(w * scale)); the answer is
 *   `{html_info, image}` with the image as base64 PNG, no data: prefix, RGB (PIL drops alpha in
 *   most upscalers);
 * - an unknown `upscaler_1` fails an assert: 500 `{error: "AssertionError", detail: "", body: "",
 *   errors: "could not find upscaler named X"}`;
 * - a body that fails pydantic validation: FastAPI's 422 `{detail: [{loc, msg, type}]}`.
 * It upscales with nearest neighbour, records the bodies it received, and can be told to answer
 * the wrong size or to be slow.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface SdapiUpscaleFake {
  url: string;
  requests: Record<string, unknown>[];
  /** Answer this size instead of the right one. */
  answerSize?: { width: number; height: number };
  delayMs: number;
  /** `user:pass` to demand as HTTP Basic (A1111's --api-auth); its 401 body has no WWW-Authenticate. */
  basicAuth?: string;
  close(): Promise<void>;
}

export const FAKE_UPSCALERS = ['None', 'Lanczos', 'Nearest', 'R-ESRGAN 4x+'];

export async function startSdapiUpscaleFake(): Promise<SdapiUpscaleFake> {
  const fake: SdapiUpscaleFake = { url: '', requests: [], delayMs: 0, close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (fake.basicAuth && req.headers.authorization !== `Basic ${Buffer.from(fake.basicAuth).toString('base64')}`) {
      return send(401, { error: 'HTTPException', detail: 'Not authenticated', body: '', errors: '' });
    }
    if (req.method !== 'POST' || req.url !== '/sdapi/v1/extra-single-image') return send(404, { detail: 'Not Found' });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(422, { detail: [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }] });
    }
    fake.requests.push(body);
    if (typeof body.image !== 'string') return send(422, { detail: [{ loc: ['body', 'image'], msg: 'field required', type: 'value_error.missing' }] });
    const factor = body.upscaling_resize ?? 2;
    if (typeof factor !== 'number') return send(422, { detail: [{ loc: ['body', 'upscaling_resize'], msg: 'value is not a valid float', type: 'type_error.float' }] });
    const upscaler = (body.upscaler_1 as string | undefined) ?? 'None';
    if (!FAKE_UPSCALERS.includes(upscaler)) {
      return send(500, { error: 'AssertionError', detail: '', body: '', errors: `could not find upscaler named ${upscaler}` });
    }
    if (fake.delayMs) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    const input = Buffer.from(body.image.replace(/^data:[^,]*,/, ''), 'base64');
    const meta = await sharp(input).metadata();
    const size = fake.answerSize ?? { width: Math.trunc(meta.width! * factor), height: Math.trunc(meta.height! * factor) };
    const png = await sharp(input).removeAlpha().resize(size.width, size.height, { kernel: 'nearest', fit: 'fill' }).png().toBuffer();
    send(200, { html_info: `<p>Postprocess upscaler: ${upscaler}</p>`, image: png.toString('base64') });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}
