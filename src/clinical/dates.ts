/** The calendar day of an instant, as FHIR dates and the cards write it (YYYY-MM-DD, UTC). */
export const isoDay = (d: Date): string => d.toISOString().slice(0, 10);
