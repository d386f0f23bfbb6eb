import type { Encoder, EncoderOptions, Protocol } from "./encoder.ts";
import { IpfixEncoder } from "./ipfix.ts";
import { NetflowV5Encoder } from "./netflow5.ts";
import { NetflowV9Encoder } from "./netflow9.ts";
import { SflowV5Encoder } from "./sflow5.ts";

export function createEncoder(protocol: Protocol, options: EncoderOptions): Encoder {
  switch (protocol) {
    case "v5":
      return new NetflowV5Encoder(options);
    case "v9":
      return new NetflowV9Encoder(options);
    case "ipfix":
      return new IpfixEncoder(options);
    case "sflow":
      return new SflowV5Encoder(options);
  }
}
