// Exports of the inexact solver group (filled by its implementation).
export {};
