export * from './page.ts';
export * from './mapping.ts';
