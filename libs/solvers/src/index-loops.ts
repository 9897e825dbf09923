// Exports of the loops solver group (filled by its implementation).
export {};
