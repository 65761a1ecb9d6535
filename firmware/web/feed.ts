/**
 * What the web server serves: MQTT-shaped messages (the topic and payload a subscriber of the
 * broker would see) from one source, the box itself or a broker full of boxes. The page speaks
 * only these shapes, so one UI serves both.
 */
export interface WireMessage {
  topic: string;
  /** Parsed JSON when the MQTT payload is JSON, else the text (`online`, `ON`). */
  payload: unknown;
}

export interface FeedHello {
  kind: 'box' | 'dashboard';
  /** The topic prefix (ROOMBOX_TOPIC_PREFIX): a box's topics are `<prefix>/<id>/...`. */
  prefix: string;
  /** The box's own id on a box page. */
  id?: string;
}

export interface Feed {
  hello(): FeedHello;
  /** Everything a page that just opened needs (retained state, recent events). */
  snapshot(): WireMessage[];
  /** Live messages; returns the unsubscribe. The feed may do nothing while nobody listens. */
  subscribe(listener: (m: WireMessage) => void): () => void;
  /** A command from the page, shaped as an MQTT publish; answers (P/response, P/error) go to `reply`. */
  send(m: WireMessage, reply: (m: WireMessage) => void): Promise<void>;
}

/** Topics that only carry live values: a slow page may skip them rather than fall behind. */
export function isLiveOnly(topic: string): boolean {
  return topic.endsWith('/levels') || topic.endsWith('/peak');
}

export function parsePayload(text: string): unknown {
  const c = text.charCodeAt(0);
  // JSON objects and arrays, numbers: anything else (online, ON, auto) stays text.
  if (c === 123 || c === 91 || (c >= 48 && c <= 57) || c === 45) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export function payloadText(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}
