/**
 * GET over node:http(s) for the builder's remote contexts and ADD URLs: any port (fetch() refuses the
 * Fetch standard's "bad ports", such as 6000 or 10080, which Go's client and so dockerd take), redirects
 * followed up to 10 times as Go's client does, the body streamed.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  /** `404 Not Found`, as Go writes resp.Status */
  statusLine: string;
  body: http.IncomingMessage;
}

export function httpGet(url: string, signal: AbortSignal, redirects = 10): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new Error(`parse ${JSON.stringify(url)}: invalid URL`));
      return;
    }
    const get = u.protocol === 'https:' ? https.get : http.get;
    const req = get(u, { signal }, (res) => {
      const status = res.statusCode ?? 0;
      const loc = res.headers.location;
      if (status >= 300 && status < 400 && loc) {
        res.resume();
        if (redirects <= 0) reject(new Error('stopped after 10 redirects'));
        else resolve(httpGet(new URL(loc, u).toString(), signal, redirects - 1));
        return;
      }
      resolve({ status, statusLine: `${status} ${res.statusMessage ?? ''}`.trim(), body: res });
    });
    req.on('error', reject);
  });
}
