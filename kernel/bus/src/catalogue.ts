/**
 * The event catalogue: every event type of every domain with its payload type.
 * Type names are `<domain>.<entity>.<past-tense-verb>`; subjects come from `subjectFor` only.
 */
export interface EventCatalogue {
  "auth.user.created": { email: string; role: string };
  "auth.token.created": { tokenId: string; userId: string; scopes: string[] };
  "bundles.bundle.created": { bundleId: string; name: string };
}

export type EventType = keyof EventCatalogue;
export type EventPayload<T extends EventType> = EventCatalogue[T];

/**
 * Accepts a list only if it names every key of `EventCatalogue`; a missing type is a compile error
 * naming it (`… is not assignable to { missingEventTypes: "x.y.z" }`).
 */
function listingEveryType<const L extends readonly EventType[]>(
  list: L &
    ([Exclude<EventType, L[number]>] extends [never]
      ? unknown
      : { missingEventTypes: Exclude<EventType, L[number]> }),
): L {
  return list;
}

/** Runtime list of the catalogue, for validation and docs. Must list every key of the interface above. */
export const EVENT_TYPES = listingEveryType([
  "auth.user.created",
  "auth.token.created",
  "bundles.bundle.created",
]);

const known = new Set<string>(EVENT_TYPES);
export function isEventType(value: string): value is EventType {
  return known.has(value);
}
