import { seedRangeTest } from './seed-range.js';

seedRangeTest(261, 260);
