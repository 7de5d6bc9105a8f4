import { describe, expect, it } from '@jest/globals';
import { configForLog } from '../../../domain/config/logged.js';

describe('a service config as the log keeps it', () => {
  it('keeps sections and keywords, drops comments, hides what may be a secret', () => {
    const text = '\uFEFF# my service\n[DEFAULT]\nid = 1\nnodes = node1 node2\n; note\n[app#web]\nscript = weblauncher\nenvironment = PASSWORD=hunter2\nsecret_env@node1 = x\napi_token = t0k\n\n';
    expect(configForLog(text)).toBe('[DEFAULT]\nid = 1\nnodes = node1 node2\n[app#web]\nscript = weblauncher\nenvironment = (hidden)\nsecret_env@node1 = (hidden)\napi_token = (hidden)\n');
  });
});
