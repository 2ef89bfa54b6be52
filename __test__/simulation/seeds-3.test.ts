import { seedRangeTest } from './seed-range.js';

seedRangeTest(521, 260);
