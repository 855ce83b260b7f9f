import { readFileSync } from 'node:fs';
import { SHAPES_PATH, generateShapes, serializeShapes } from '../scripts/generate-shapes';

describe('Generated shapes', () => {
  it('are current: regenerated from the installed stripe package and the emulator routes, they equal the committed file', () => {
    const fresh = generateShapes();
    expect(fresh.apiVersion).toBe('2026-10-28.endive');
    // On a difference: `npm run emulator:shapes` and commit src/generated/shapes.json.
    expect(serializeShapes(fresh) === readFileSync(SHAPES_PATH, 'utf8')).toBe(true);
  }, 180_000);
});
