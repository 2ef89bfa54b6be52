import { seedRangeTest } from './seed-range.js';

seedRangeTest(781, 260);
