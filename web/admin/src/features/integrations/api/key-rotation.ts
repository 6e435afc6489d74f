//! GetKeyRotationStatus: every service's envelope-encryption keys as its last
//! rotation pass reported them. Under `["key-rotation"]`; nothing the portal does
//! changes it, so it is read when shown and on "Refresh".
import { queryOptions } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";

type Client = Pick<CanopyClient, "keyRotation">;

export const keyRotationKeys = {
  all: ["key-rotation"] as const,
  status: () => [...keyRotationKeys.all, "status"] as const,
};

export const keyRotationQueries = {
  status: (client: Client) =>
    queryOptions({
      queryKey: keyRotationKeys.status(),
      queryFn: async () => (await client.keyRotation.getKeyRotationStatus({})).services,
    }),
};
