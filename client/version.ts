/** What `lifeboat --version` prints: package.json's version (a unit test holds them equal). */
export const VERSION = '0.1.0';
