import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { TestScope } from './scope.js';

/**
 * A TestScope per test: opened in beforeEach, closed in afterEach (also when
 * the test failed). Call in a describe body; use the returned getter in tests:
 *
 *   const scope = useTestScope();
 *   test('...', async () => { const ns = await createNetns(scope()); });
 */
export function useTestScope(): () => TestScope {
  let current: TestScope | undefined;
  beforeEach(async () => {
    current = await TestScope.open();
  });
  afterEach(async () => {
    const s = current;
    current = undefined;
    await s?.close();
  });
  return () => {
    if (current === undefined) throw new Error('useTestScope(): the scope exists only inside a test');
    return current;
  };
}

/** One TestScope for a whole describe block / file (beforeAll/afterAll): for fixtures tests share. */
export function useSuiteScope(): () => TestScope {
  let current: TestScope | undefined;
  beforeAll(async () => {
    current = await TestScope.open();
  });
  afterAll(async () => {
    const s = current;
    current = undefined;
    await s?.close();
  });
  return () => {
    if (current === undefined) throw new Error('useSuiteScope(): the scope exists only inside the suite');
    return current;
  };
}
