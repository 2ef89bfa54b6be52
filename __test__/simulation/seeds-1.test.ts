import { seedRangeTest } from './seed-range.js';

seedRangeTest(1, 260);
