import { describe, it, expect } from 'vitest';
import { InputError } from '@percept/core';
import { parseLocSolution, parseSynsetList, parseValTxt, imageKey } from './labels.js';

const SYNSETS = 'n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\nn01484850 great white shark\n';

describe('synset lists', () => {
  it('indexes by line order and keeps names', () => {
    const s = parseSynsetList(SYNSETS, 'synset_words.txt');
    expect(s.ids).toEqual(['n01440764', 'n01443537', 'n01484850']);
    expect(s.names[1]).toBe('goldfish, Carassius auratus');
    expect(s.index.get('n01484850')).toBe(2);
    expect(parseSynsetList('n1\r\nn2\r\n', 'x').ids).toEqual(['n1', 'n2']);
  });

  it('rejects duplicates and blank lines inside, naming the line', () => {
    expect(() => parseSynsetList('n1\nn2\nn1\n', 'list.txt')).toThrow(/list\.txt:3: synset "n1" is listed twice \(first on line 1\)/);
    expect(() => parseSynsetList('n1\n\nn2\n', 'list.txt')).toThrow(/list\.txt:2: empty line/);
  });
});

describe("Caffe's val.txt", () => {
  it('maps image names (without extension) to indices', () => {
    const t = parseValTxt('ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_00000002.JPEG 970\n', 'val.txt', 1000);
    expect(t.labels.get('ILSVRC2012_val_00000002')).toEqual({ label: 970, line: 2 });
    expect(imageKey('/a/b/ILSVRC2012_val_00000002.JPEG')).toBe('ILSVRC2012_val_00000002');
  });

  it('rejects an out-of-range or malformed index, naming the line', () => {
    expect(() => parseValTxt('a.JPEG 1\nb.JPEG 1000\n', 'val.txt', 1000)).toThrow(/val\.txt:2: class index "1000" of b\.JPEG is not an integer in 0\.\.999/);
    expect(() => parseValTxt('a.JPEG -1\n', 'val.txt', 1000)).toThrow(InputError);
    expect(() => parseValTxt('a.JPEG 3\nb.JPEG\n', 'val.txt', 10)).toThrow(/val\.txt:2: expected "<image file> <class index>"/);
  });
});

describe("Kaggle's LOC_val_solution.csv", () => {
  const synsets = parseSynsetList(SYNSETS, 'LOC_synset_mapping.txt');

  it('takes the first synset of PredictionString', () => {
    const csv = 'ImageId,PredictionString\nILSVRC2012_val_00008726,n01484850 255 142 454 329 n01484850 44 21 322 295\nILSVRC2012_val_00000001,n01443537 1 2 3 4\n';
    const t = parseLocSolution(csv, 'LOC_val_solution.csv', synsets);
    expect(t.labels.get('ILSVRC2012_val_00008726')?.label).toBe(2);
    expect(t.labels.get('ILSVRC2012_val_00000001')).toEqual({ label: 1, line: 3 });
  });

  it('names an unknown synset and both files', () => {
    const csv = 'ImageId,PredictionString\nILSVRC2012_val_00000001,n09999999 1 2 3 4\n';
    expect(() => parseLocSolution(csv, 'LOC_val_solution.csv', synsets))
      .toThrow(/LOC_val_solution\.csv:2: unknown synset "n09999999" \(image ILSVRC2012_val_00000001\); it is not in the synset list LOC_synset_mapping\.txt/);
  });

  it('requires the header', () => {
    expect(() => parseLocSolution('id,pred\n', 'sol.csv', synsets)).toThrow(/sol\.csv:1: expected the header "ImageId,PredictionString"/);
  });
});
