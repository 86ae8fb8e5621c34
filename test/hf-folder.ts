/** The tiny Hugging Face GPT-2 of the tests: made by the same code as `npm run make-tiny-gpt2` (scripts/lib/tiny-gpt2.ts). */
export * from '../scripts/lib/tiny-gpt2';
